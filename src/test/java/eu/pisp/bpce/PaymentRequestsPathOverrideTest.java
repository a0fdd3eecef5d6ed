package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** pisp.aspsp.payment-path, when set, wins over the path of pisp.stet.version (1.4.0 here: /stet/psd2/v1). */
class PaymentRequestsPathOverrideTest {

    @RegisterExtension
    static final PispModule module = new PispModule()
            .with("pisp.stet.version", "1.4.0")
            .with("pisp.aspsp.payment-path", " /stet/psd2/v1.4.2/payment-requests ");

    @Test
    void configuredPaymentPathWinsOverTheVersionsPath() throws Exception {
        module.send(SamplePayments.json("PATH-OVERRIDE", SamplePayments.iban("17515", 8)), Map.of());

        assertEquals(1, module.awaitOutcomes(1, Duration.ofSeconds(30)).accepted().size());
        assertEquals(List.of("POST /17515/stet/psd2/v1.4.2/payment-requests"),
                PaymentRequestsPathTest.paymentPosts(module));
    }
}
