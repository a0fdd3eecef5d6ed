package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.Map;

import eu.pisp.bpce.support.PispModule;
import jakarta.jms.Connection;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * When an outcome cannot be published, the transaction rolls back: the request goes back to its queue, is tried
 * again a bounded number of times, and then lands on the broker's DLQ with its body intact. Nothing is lost.
 */
class OutcomeQueueDownTest {

    @RegisterExtension
    static final PispModule module = new PispModule()
            .with("pisp.failed.uri", "direct:failed-outcome-store-down")
            .with("pisp.broker.max-delivery-attempts", "3");

    @Test
    void aRequestWhoseOutcomeCannotBePublishedEndsOnTheDeadLetterQueue() throws Exception {
        module.context().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:failed-outcome-store-down").routeId("test-failed-outcome-store-down")
                        .throwException(new IllegalStateException("outcome store down"));
            }
        });
        String body = "{\"not\": \"a payment request\"}";

        module.send(body, Map.of());

        try (Connection c = module.jmsFactory().createConnection()) {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer dlq = s.createConsumer(s.createQueue("DLQ"));
            c.start();
            TextMessage dead = (TextMessage) dlq.receive(30_000);
            assertNotNull(dead, "the request reached the DLQ");
            assertEquals(body, dead.getText());
            assertEquals("pisp.payment-requests", dead.getStringProperty("_AMQ_ORIG_ADDRESS"));
        }
        assertEquals(0, module.bank().receivedCount(), "nothing was sent to the bank");
    }
}
