package eu.pisp.bpce.demo;

import java.time.OffsetDateTime;
import java.util.List;

import eu.pisp.bpce.sim.SamplePayments;
import org.apache.camel.Exchange;

/** The sample messages the demo queues: good payments for a few establishments, then two bad ones. */
public final class DemoPayments {

    private static final List<String> ESTABLISHMENTS = List.of("13807", "17515", "10207", "40978");

    private final java.util.concurrent.atomic.AtomicLong counter = new java.util.concurrent.atomic.AtomicLong();

    /** Fills the exchange with the next sample message. */
    public void next(Exchange exchange) {
        long n = counter.incrementAndGet();
        String id = "DEMO-" + OffsetDateTime.now().toEpochSecond() + "-" + n;
        exchange.getMessage().removeHeaders("*");
        if (n == 7) {
            exchange.getMessage().setHeader("cdetab", "99999");
            exchange.getMessage().setBody(SamplePayments.json(id, "FR7613807000010000000000042"));
        } else if (n == 8) {
            exchange.getMessage().setBody("{\"paymentInformationId\": \"" + id + "\", not json");
        } else {
            String cdetab = ESTABLISHMENTS.get((int) (n % ESTABLISHMENTS.size()));
            // Mostly immediate payments; a deferred one, and one the customer rejects (SamplePayments.demo).
            exchange.getMessage().setBody(SamplePayments.demo(n, id, SamplePayments.iban(cdetab, n)));
        }
        exchange.getMessage().setHeader("JMSCorrelationID", id);
    }
}
