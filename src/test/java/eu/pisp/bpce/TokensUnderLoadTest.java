package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tokens under concurrency: single flight on a cold cache, one new token per establishment after a revocation under
 * load, no connection-pool starvation, and a tiny expires_in that does not turn into a token request per payment.
 * The HTTP pool is Camel's default size (20 per host), smaller than the number of senders, on purpose.
 */
class TokensUnderLoadTest {

    @RegisterExtension
    static final PispModule module = new PispModule()
            .with("camel.component.http.connections-per-route", "20")
            .with("pisp.token.refresh-ahead-ratio", "0.8");

    private static final String[] FIVE = {"13807", "17515", "10207", "16807", "12579"};
    private static final AtomicLong IDS = new AtomicLong();

    @Test
    void sixtyFourSendersOnAColdCacheMakeOneTokenRequestPerEstablishment() throws Exception {
        module.bank().tokenLatency(200);

        List<String> outcomes = burst(64, FIVE);

        assertTrue(outcomes.stream().allMatch("ACCEPTED"::equals), outcomes.toString());
        for (String cdetab : FIVE) {
            assertEquals(1, module.bank().tokenRequests(cdetab), cdetab);
        }
    }

    @Test
    void revocationUnderLoadMakesOneNewTokenPerEstablishmentAndNoPaymentFails() throws Exception {
        burst(20, FIVE);
        module.bank().revokeAllTokens();

        List<String> outcomes = burst(64, FIVE);

        assertTrue(outcomes.stream().allMatch("ACCEPTED"::equals), outcomes.toString());
        for (String cdetab : FIVE) {
            assertEquals(2, module.bank().tokenRequests(cdetab), "the first token and one new one for " + cdetab);
        }
    }

    @Test
    void sixtyFourSendersOnOneEstablishmentWithAnEmptyCacheAllSucceed() throws Exception {
        module.bank().tokenLatency(300);
        module.bank().paymentLatency(20);

        List<String> outcomes = burst(64, new String[] {"13807"});

        assertEquals(64, outcomes.stream().filter("ACCEPTED"::equals).count(), outcomes.toString());
        assertEquals(1, module.bank().tokenRequests("13807"));
    }

    @Test
    void aTinyExpiresInDoesNotMeanATokenRequestPerPayment() throws Exception {
        module.bank().expiresIn(1L); // below the 60 s margin: clamped to half the life
        long end = System.nanoTime() + 3_000_000_000L;
        int payments = 0;
        while (System.nanoTime() < end) {
            payments += burst(16, new String[] {"13807"}).size();
        }

        int tokens = module.bank().tokenRequests("13807");
        assertTrue(payments > 100, "enough load to tell: " + payments);
        assertTrue(tokens <= 10, tokens + " token requests for " + payments + " payments in 3 s");
    }

    /** {@code senders} concurrent in-process payments spread over the establishments; their outcomes. */
    private static List<String> burst(int senders, String[] establishments) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Exchange>> answers = new ArrayList<>();
            for (int i = 0; i < senders; i++) {
                long n = IDS.incrementAndGet();
                String body = SamplePayments.json("LOAD-" + n,
                        SamplePayments.iban(establishments[(int) (n % establishments.length)], n));
                answers.add(pool.submit(() -> {
                    start.await();
                    return module.producer().request("direct:initiate-payment", e -> e.getMessage().setBody(body));
                }));
            }
            start.countDown();
            List<String> outcomes = new ArrayList<>();
            for (Future<Exchange> f : answers) {
                Exchange e = f.get();
                String code = e.getMessage().getHeader("pispOutcome", String.class);
                outcomes.add("ACCEPTED".equals(code) ? code : e.getMessage().getHeader("pispErrorCode") + ": "
                        + e.getMessage().getHeader("pispErrorReason"));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }
}
