package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import eu.pisp.bpce.support.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The shared send record's database going away: no payment is sent without a committed claim, nothing is lost, and
 * payments flow again once the database is back. A server of its own, stopped and started by the test.
 */
class SendRecordDatabaseOutageTest {

    static final TestPostgres pg = TestPostgres.startNew();
    static final Duration WAIT = Duration.ofSeconds(60);

    static final PispModule module;

    static {
        module = new PispModule()
                .with("pisp.send-record.store", "jdbc")
                .with("pisp.send-record.jdbc.url", pg.createDatabase("outage"))
                .with("pisp.send-record.jdbc.user", pg.user())
                .with("pisp.send-record.jdbc.password", pg.password())
                .with("pisp.send-record.jdbc.connect-timeout-ms", "500")
                .with("pisp.send-record.retry.max-retries", "2")
                .with("pisp.send-record.retry.initial-delay-ms", "100");
        try {
            module.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        module.close();
        pg.close();
    }

    @Test
    void withoutItsDatabaseNothingIsSentAndEveryPaymentFailsSafeToResubmitThenTheyFlowAgain() throws Exception {
        send("BEFORE-OUTAGE");
        assertEquals(1, module.awaitOutcomes(1, WAIT).accepted().size());

        pg.stop();
        try {
            for (int i = 0; i < 3; i++) {
                send("DURING-OUTAGE-" + i);
            }
            PispModule.Outcomes during = module.awaitOutcomes(3, WAIT);
            assertEquals(3, during.failed().size(), "nothing lost: each has its failed outcome");
            for (Outcome failed : during.failed()) {
                assertEquals("SEND_RECORD_UNAVAILABLE", failed.header("pispErrorCode"), failed.header("pispErrorReason"));
                assertTrue(failed.header("pispErrorReason").startsWith("Not sent: the send record could not be "
                        + "reached") && failed.header("pispErrorReason").endsWith("Safe to resubmit as is."),
                        failed.header("pispErrorReason"));
                assertTrue(!failed.header("pispErrorReason").contains(pg.password()));
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(0, module.paymentsReceived("DURING-OUTAGE-" + i).size(), "not sent without a claim");
            }
        } finally {
            pg.start();
        }

        // Back: the same payments, resubmitted as they were, go through (nothing of them was recorded).
        for (int i = 0; i < 3; i++) {
            send("DURING-OUTAGE-" + i);
        }
        PispModule.Outcomes after = module.awaitOutcomes(3, WAIT);
        assertEquals(3, after.accepted().size(), () -> PaymentFlowTest.reasons(after.failed()));
        assertEquals(1, module.paymentsReceived("DURING-OUTAGE-0").size());
    }

    private static void send(String paymentInformationId) {
        module.send(SamplePayments.json(paymentInformationId, SamplePayments.iban("13807", 1)), Map.of());
    }
}
