package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The payment request goes to the path of pisp.stet.version (the routes read it as the placeholder
 * pisp.stet.payment-requests-path, derived at start): the version's own path here, the override in
 * {@link PaymentRequestsPathOverrideTest}.
 */
class PaymentRequestsPathTest {

    @RegisterExtension
    static final PispModule module = new PispModule().with("pisp.stet.version", "1.6.2");

    @Test
    void paymentRequestGoesToThePathOfTheConfiguredStetVersion() throws Exception {
        module.send(SamplePayments.json("PATH-162", SamplePayments.iban("17515", 7)), Map.of());

        assertEquals(1, module.awaitOutcomes(1, Duration.ofSeconds(30)).accepted().size());
        assertEquals(List.of("POST /17515/stet/psd2/v1.6.2/payment-requests"), paymentPosts(module));
    }

    static List<String> paymentPosts(PispModule module) {
        return module.bank().received().stream().filter(r -> r.path().contains("/payment-requests"))
                .map(r -> r.method() + " " + r.path()).toList();
    }
}
