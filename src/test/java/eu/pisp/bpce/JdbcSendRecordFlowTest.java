package eu.pisp.bpce;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.TestPostgres;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The send-record contract on the shared store: a real PostgreSQL table. */
class JdbcSendRecordFlowTest extends SendRecordFlowContract {

    static final String URL = TestPostgres.shared().createDatabase("flow");

    @RegisterExtension
    static final PispModule module = new PispModule()
            .with("pisp.send-record.store", "jdbc")
            .with("pisp.send-record.jdbc.url", URL)
            .with("pisp.send-record.jdbc.user", TestPostgres.shared().user())
            .with("pisp.send-record.jdbc.password", TestPostgres.shared().password())
            .with("pisp.instance-id", "flow-test");

    private static List<Object> row() throws Exception {
        try (Connection c = DriverManager.getConnection(URL, TestPostgres.shared().user(), TestPostgres.shared().password());
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT state, resource_id, instance_id, message_id, request_id "
                     + "FROM pisp_send_record WHERE cdetab = '13807' AND payment_information_id = 'RECORDED'")) {
            assertTrue(r.next());
            return List.of(r.getString(1), String.valueOf(r.getString(2)), r.getString(3), r.getString(4),
                    r.getString(5));
        }
    }

    @Override
    protected PispModule module() {
        return module;
    }

    @Test
    void theRecordKeepsTheBanksResourceIdAndARedeliveryIsToldWhatTheBankAnswered() throws Exception {
        String body = SamplePayments.json("RECORDED", SamplePayments.iban("13807", 1));
        Exchange first = initiate(body, "ID:recorded-1");
        assertEquals("ACCEPTED", first.getMessage().getHeader("pispOutcome"));
        String resourceId = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(first.getMessage().getBody(String.class)).path("paymentRequestResourceId").asText();

        // The note is written behind the payment.
        await().atMost(Duration.ofSeconds(10)).until(() -> row().get(0).equals("ACCEPTED"));
        assertEquals(List.of("ACCEPTED", resourceId, "flow-test", "ID:recorded-1",
                first.getMessage().getHeader("pispRequestId")), row());

        Exchange again = initiate(body, "ID:recorded-1");
        String reason = again.getMessage().getHeader("pispErrorReason", String.class);
        assertEquals("OUTCOME_UNKNOWN", again.getMessage().getHeader("pispErrorCode"));
        assertTrue(reason.contains("the send record has it ACCEPTED as paymentRequestResourceId " + resourceId
                + ", claimed by instance flow-test"), reason);
    }
}
