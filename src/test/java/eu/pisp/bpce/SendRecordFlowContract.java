package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import eu.pisp.bpce.sim.BankSimulator.Fault;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

/**
 * "Never sent to a bank twice by accident", as the queues see it: the same behaviour, the same error codes, whichever
 * send-record store the module runs on. A subclass boots the module on one store.
 */
abstract class SendRecordFlowContract {

    static final Duration WAIT = Duration.ofSeconds(30);

    protected abstract PispModule module();

    @Test
    void aPaymentAlreadySentIsRefusedAsDuplicateAndNotSentAgain() throws Exception {
        send("SENT-ONCE");
        assertEquals(1, module().awaitOutcomes(1, WAIT).accepted().size());

        Outcome duplicate = single(send("SENT-ONCE"), "DUPLICATE_PAYMENT");

        assertEquals(1, module().paymentsReceived("SENT-ONCE").size());
        assertTrue(duplicate.header("pispErrorReason").contains("13807/SENT-ONCE was already sent"),
                duplicate.header("pispErrorReason"));
    }

    @Test
    void theSameMessageComingBackAfterItsSendStartedIsOutcomeUnknownAndNotSentAgain() {
        String body = SamplePayments.json("SAME-MESSAGE", SamplePayments.iban("13807", 1));
        Exchange first = initiate(body, "ID:same-message-1");
        assertEquals("ACCEPTED", first.getMessage().getHeader("pispOutcome"));

        // The broker hands the message over again (its first consumer died after the send): same JMSMessageID.
        Exchange again = initiate(body, "ID:same-message-1");

        assertEquals("OUTCOME_UNKNOWN", again.getMessage().getHeader("pispErrorCode"));
        String reason = again.getMessage().getHeader("pispErrorReason", String.class);
        assertTrue(reason.contains("this very message was processed before") && reason.contains("reconcile with "
                + "X-Request-ID " + again.getMessage().getHeader("pispRequestId")), reason);
        assertEquals(1, module().paymentsReceived("SAME-MESSAGE").size());
    }

    /** Found in review: an in-process caller reusing its exchange carried the first payment's claim over. */
    @Test
    void anExchangeReusedForTheNextPaymentClaimsItsOwnAndNeverReleasesTheFirst() {
        String first = SamplePayments.json("REUSED-FIRST", SamplePayments.iban("13807", 1));
        Exchange reused = new org.apache.camel.support.DefaultExchange(module().context());
        reused.getMessage().setBody(first);
        module().producer().send("direct:initiate-payment", reused);
        assertEquals("ACCEPTED", reused.getMessage().getHeader("pispOutcome"));

        // The next payment on the same exchange is claimed itself (not sent under the first one's claim).
        String second = SamplePayments.json("REUSED-SECOND", SamplePayments.iban("13807", 1));
        reused.getMessage().removeHeaders("*");
        reused.getMessage().setBody(second);
        module().producer().send("direct:initiate-payment", reused);
        assertEquals("ACCEPTED", reused.getMessage().getHeader("pispOutcome"));
        assertEquals("DUPLICATE_PAYMENT", initiate(second, "ID:second-again").getMessage().getHeader("pispErrorCode"));

        // A third one fails before its send (no token): releasing its claim must not release the others'.
        module().bank().failTokenRequests("17515", 100, Fault.status(503, "Service indisponible"));
        reused.getMessage().removeHeaders("*");
        reused.getMessage().setBody(SamplePayments.json("REUSED-THIRD", SamplePayments.iban("17515", 1)));
        module().producer().send("direct:initiate-payment", reused);
        assertEquals("TOKEN_UNAVAILABLE", reused.getMessage().getHeader("pispErrorCode"));
        assertEquals("DUPLICATE_PAYMENT", initiate(first, "ID:first-again").getMessage().getHeader("pispErrorCode"));
        assertEquals("DUPLICATE_PAYMENT", initiate(second, "ID:second-again-2").getMessage()
                .getHeader("pispErrorCode"));
        assertEquals(1, module().paymentsReceived("REUSED-FIRST").size());
        assertEquals(1, module().paymentsReceived("REUSED-SECOND").size());
    }

    /** Seen under load when the broker restarted: the redeliveries it caused had opened a healthy bank's circuit. */
    @Test
    void redeliveriesRefusedByTheSendRecordDoNotOpenTheEstablishmentsCircuit() {
        String body = SamplePayments.json("REDELIVERED", SamplePayments.iban("13807", 1));
        assertEquals("ACCEPTED", initiate(body, "ID:redelivered-1").getMessage().getHeader("pispOutcome"));
        for (int i = 0; i < 25; i++) {
            assertEquals("OUTCOME_UNKNOWN", initiate(body, "ID:redelivered-1").getMessage().getHeader("pispErrorCode"));
        }

        assertEquals(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED, module().context().getRegistry()
                .lookupByNameAndType("establishmentBreakers", eu.pisp.bpce.resilience.EstablishmentBreakers.class)
                .state("13807"));
        Exchange next = initiate(SamplePayments.json("AFTER-REDELIVERIES", SamplePayments.iban("13807", 1)), "ID:next");
        assertEquals("ACCEPTED", next.getMessage().getHeader("pispOutcome"),
                () -> String.valueOf(next.getMessage().getHeader("pispErrorReason")));
    }

    @Test
    void aPaymentTheBankCertainlyDidNotTakeMayBeSubmittedAgain() throws Exception {
        module().bank().failPayments("13807", 100, Fault.status(503, "Service indisponible"));
        single(send("NOT-TAKEN"), "BANK_UNAVAILABLE");
        module().bank().reset();

        send("NOT-TAKEN");

        PispModule.Outcomes outcomes = module().awaitOutcomes(1, WAIT);
        assertEquals(1, outcomes.accepted().size(), () -> PaymentFlowTest.reasons(outcomes.failed()));
    }

    @Test
    void aPaymentTheBankRefusedMayBeSubmittedAgain() throws Exception {
        module().bank().failPayments("13807", 1, Fault.status(422, "IBAN créancier invalide"));
        single(send("RESUBMITTED"), "REJECTED_BY_BANK");

        send("RESUBMITTED");

        PispModule.Outcomes outcomes = module().awaitOutcomes(1, WAIT);
        assertEquals(1, outcomes.accepted().size(), () -> PaymentFlowTest.reasons(outcomes.failed()));
    }

    @Test
    void aPaymentWhoseOutcomeIsUnknownIsNeverSentAgain() throws Exception {
        module().bank().failPayments("13807", 1, Fault.status(500, "Erreur technique"));
        single(send("MAYBE-TAKEN"), "OUTCOME_UNKNOWN");

        single(send("MAYBE-TAKEN"), "DUPLICATE_PAYMENT");

        assertEquals(1, module().paymentsReceived("MAYBE-TAKEN").size());
    }

    @Test
    void theSamePaymentQueuedManyTimesAtOnceIsSentOnce() throws Exception {
        int payments = 10;
        int copies = 4;
        for (int c = 0; c < copies; c++) {
            for (int p = 0; p < payments; p++) {
                send("COPIES-" + p);
            }
        }

        PispModule.Outcomes outcomes = module().awaitOutcomes(payments * copies, WAIT);

        assertEquals(payments, outcomes.accepted().size(), () -> PaymentFlowTest.reasons(outcomes.failed()));
        assertEquals(payments * (copies - 1), outcomes.failed().stream()
                .filter(o -> "DUPLICATE_PAYMENT".equals(o.header("pispErrorCode"))).count());
        for (int p = 0; p < payments; p++) {
            assertEquals(1, module().paymentsReceived("COPIES-" + p).size(), "COPIES-" + p);
        }
    }

    protected String send(String paymentInformationId) {
        String body = SamplePayments.json(paymentInformationId, SamplePayments.iban("13807", 1));
        module().send(body, Map.of());
        return body;
    }

    protected Exchange initiate(String body, String jmsMessageId) {
        return module().producer().request("direct:initiate-payment", e -> {
            e.getMessage().setBody(body);
            e.getMessage().setHeader("JMSMessageID", jmsMessageId);
        });
    }

    /** Waits for one failed outcome with this code, carrying the original body. */
    protected Outcome single(String body, String code) throws Exception {
        PispModule.Outcomes outcomes = module().awaitOutcomes(1, WAIT);
        assertEquals(1, outcomes.failed().size(), "expected a failed outcome, got " + outcomes);
        Outcome failed = outcomes.failed().get(0);
        assertEquals(code, failed.header("pispErrorCode"), failed.header("pispErrorReason"));
        assertEquals(body, failed.body(), "the failed outcome carries the original body");
        return failed;
    }
}
