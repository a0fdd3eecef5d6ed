package eu.pisp.bpce.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;

import eu.pisp.bpce.Props;
import eu.pisp.bpce.establishment.EstablishmentRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** The tags of the outcome counters: only checked, bounded values, whatever the exchange carries. */
class PispMetricsTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final PispMetrics metrics;

    PispMetricsTest() throws Exception {
        metrics = new PispMetrics(meters, EstablishmentRegistry.load(Path.of("config/establishments.yaml"),
                "http://127.0.0.1:1/{cdetab}", "http://127.0.0.1:1/{cdetab}", "PSDFR-ACPR-12345", false));
    }

    @Test
    void otherOperationsCountApartWithTheirOwnOutcome() {
        metrics.outcome(exchange("status", "STATUS", null, "13807"));
        metrics.outcome(exchange(null, "FAILED", "BANK_UNAVAILABLE", "13807"));
        metrics.outcome(exchange("payment", "ACCEPTED", null, "13807"));
        metrics.outcome(exchange("cancellation", "FAILED", "made up by someone", "not-a-code"));
        metrics.outcome(exchange("status", "status <script>", null, "13807"));

        assertEquals(1, count("pisp.operations", "operation", "status", "outcome", "STATUS", "code", "none"));
        assertEquals(1, count("pisp.operations", "operation", "status", "outcome", "OTHER"));
        assertEquals(1, count("pisp.operations", "operation", "cancellation", "outcome", "FAILED", "code", "OTHER",
                "cdetab", "none"));
        assertEquals(1, count("pisp.payments", "outcome", "FAILED", "code", "BANK_UNAVAILABLE", "cdetab", "13807"));
        assertEquals(1, count("pisp.payments", "outcome", "ACCEPTED", "code", "none"));
        assertEquals(2, meters.find("pisp.payments").counters().size());
    }

    private double count(String name, String... tags) {
        return meters.find(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static Exchange exchange(String operation, String outcome, String code, String cdetab) {
        Exchange e = new DefaultExchange(new DefaultCamelContext());
        if (operation != null) {
            e.setProperty(BankCallTimer.OPERATION, operation);
        }
        e.setProperty(Props.CDETAB, cdetab);
        e.getMessage().setHeader("pispOutcome", outcome);
        e.getMessage().setHeader("pispErrorCode", code);
        return e;
    }
}
