package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import eu.pisp.bpce.resilience.EstablishmentBreakers;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One establishment down must not slow the others for long: its circuit opens and its payments fail fast as
 * BANK_UNAVAILABLE / TOKEN_UNAVAILABLE, and from then on a healthy establishment keeps its throughput. Before that, the
 * first failing payments' retries hold consumer threads the healthy one shares (measured and printed). Production retry
 * delays (not the short test ones), so the cost of the failing establishment is real. (This test once passed on its
 * whole-burst rate only because the broker dealt the alternating payments out to the 8 consumers in advance, 1 MiB
 * each: the even consumers got every failing payment, the odd ones every healthy one.)
 */
class EstablishmentIsolationTest {

    @RegisterExtension
    static final PispModule module = new PispModule()
            .with("pisp.token.retry.initial-delay-ms", "200")
            .with("pisp.payment.retry.initial-delay-ms", "500");

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int PER_PHASE = 400;

    @Test
    void healthyEstablishmentKeepsItsThroughputWhileAnotherIsDown() throws Exception {
        // Warm up (JIT, connections, token) and measure the healthy establishment alone.
        sendHealthy("WARMUP", 100);
        module.awaitOutcomes(100, WAIT);
        long t0 = System.nanoTime();
        sendHealthy("ALONE", PER_PHASE);
        PispModule.Outcomes alone = module.awaitOutcomes(PER_PHASE, WAIT);
        double aloneRate = rate(alone.accepted(), t0);
        assertEquals(PER_PHASE, alone.accepted().size());

        // 13807 goes down (every call answered 503); mixed load: as many payments for it as for the healthy one.
        module.bank().makeUnavailable(Set.of("13807"));
        long t1 = System.nanoTime();
        for (int i = 0; i < PER_PHASE; i++) {
            module.send(SamplePayments.json("DOWN-" + i, SamplePayments.iban("13807", i)), Map.of());
            module.send(SamplePayments.json("MIXED-" + i, SamplePayments.iban("17515", i)), Map.of());
        }
        PispModule.Outcomes mixed = module.awaitOutcomes(2 * PER_PHASE, WAIT);
        List<Outcome> healthy = mixed.accepted().stream().filter(o -> "17515".equals(o.header("cdetab"))).toList();
        double mixedRate = rate(healthy, t1);
        long fastFailed = mixed.failed().stream().filter(o -> o.header("pispErrorReason").contains("circuit")).count();
        // Until the circuit opens, the failing establishment's first payments wait in their retries' back-off on
        // consumer threads the healthy one shares; from the first payment failed fast, it has the consumers again.
        long opened = mixed.failed().stream().filter(o -> o.header("pispErrorReason").contains("circuit"))
                .mapToLong(Outcome::receivedAtNanos).min().orElseThrow();
        List<Outcome> healthyOnceOpen = healthy.stream().filter(o -> o.receivedAtNanos() > opened).toList();
        double openRate = rate(healthyOnceOpen, opened);

        System.out.printf("ISOLATION healthy alone: %.0f msg/s; healthy while 13807 down: %.0f msg/s (%.0f%%) over "
                        + "the whole burst, %.0f msg/s (%.0f%%) once its circuit was open (%.1f s after the burst "
                        + "began, %d healthy accepted meanwhile); 13807: %d failed, %d of them fast (circuit open)%n",
                aloneRate, mixedRate, 100 * mixedRate / aloneRate, openRate, 100 * openRate / aloneRate,
                (opened - t1) / 1e9, healthy.size() - healthyOnceOpen.size(), mixed.failed().size(), fastFailed);

        assertEquals(PER_PHASE, healthy.size(), "every payment of the healthy establishment accepted");
        assertEquals(PER_PHASE, mixed.failed().size(), "every payment of the failing establishment failed");
        assertTrue(mixed.failed().stream().allMatch(o -> Set.of("TOKEN_UNAVAILABLE", "BANK_UNAVAILABLE")
                .contains(o.header("pispErrorCode"))), "safe to resubmit: nothing reached the failing bank");
        assertEquals(CircuitBreaker.State.OPEN, module.context().getRegistry()
                .lookupByNameAndType("establishmentBreakers", EstablishmentBreakers.class).state("13807"));
        assertTrue(fastFailed >= PER_PHASE - 50, "most of the failing establishment's payments failed fast");
        assertTrue(healthyOnceOpen.size() >= PER_PHASE / 4, "most healthy payments came after the circuit opened: "
                + healthyOnceOpen.size());
        assertTrue(openRate >= 0.5 * aloneRate, String.format(
                "healthy throughput once the other's circuit is open %.0f msg/s, alone %.0f msg/s", openRate, aloneRate));
    }

    private static void sendHealthy(String prefix, int n) {
        for (int i = 0; i < n; i++) {
            module.send(SamplePayments.json(prefix + "-" + i, SamplePayments.iban("17515", i)), Map.of());
        }
    }

    /** Messages per second from t0 to the last of these outcomes. */
    private static double rate(List<Outcome> outcomes, long t0) {
        long last = outcomes.stream().mapToLong(Outcome::receivedAtNanos).max().orElseThrow();
        return outcomes.size() / ((last - t0) / 1e9);
    }
}
