package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;

import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** pisp.token.params-in=query: the token parameters travel in the query string, as the bank's page shows them. */
class TokenQueryParametersTest {

    @RegisterExtension
    static final PispModule module = new PispModule()
            .with("pisp.token.params-in", "query")
            .with("pisp.client-id", "PSDFR-ACPR-12345 & co");

    @Test
    void tokenParametersGoInTheQueryStringWhenConfigured() throws Exception {
        module.send(SamplePayments.json("QUERY-TOKEN", SamplePayments.iban("17515", 3)), Map.of());

        assertEquals(1, module.awaitOutcomes(1, Duration.ofSeconds(30)).accepted().size());
        BankSimulator.Received tokenRequest = module.bank().received().stream()
                .filter(r -> r.path().equals("/17515/stet/psd2/oauth/token")).findFirst().orElseThrow();
        assertEquals("grant_type=client_credentials&client_id=PSDFR-ACPR-12345+%26+co&scope=pisp", tokenRequest.query());
        assertEquals("", tokenRequest.body());
    }
}
