package eu.pisp.bpce.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import eu.pisp.bpce.sim.BankSimulator.Fault;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A bounded soak: mixed load over five establishments for {@code -Dpisp.soak.seconds} (default 20; a longer soak:
 * {@code -Dpisp.soak.seconds=600}) while the bank
 * simulator injects faults (token 503 bursts, token revocations, payment 503s, 429 with Retry-After, payment timeouts).
 * Then the books must balance: messages in = accepted + failed, no payment twice at the bank, and each
 * OUTCOME_UNKNOWN matches a simulated timeout.
 */
class SoakIT {

    @RegisterExtension
    static final PispModule module = new PispModule()
            .with("pisp.concurrent-consumers", "16")
            .with("pisp.payment.response-timeout-ms", "1000")
            .with("pisp.token.retry.initial-delay-ms", "100")
            .with("pisp.payment.retry.initial-delay-ms", "200");

    private static final List<String> ESTABLISHMENTS = List.of("13807", "17515", "10207", "16807", "12579");

    @Test
    void booksBalanceAfterMinutesOfMixedLoadWithFaults() throws Exception {
        int seconds = Integer.getInteger("pisp.soak.seconds", 20);
        int ratePerSecond = Integer.getInteger("pisp.soak.rate", 150);
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger injected = new AtomicInteger();
        Random random = new Random(42);
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
        List<Outcome> accepted = new ArrayList<>();
        List<Outcome> failed = new ArrayList<>();
        long heapAtStart = 0;
        try {
            scheduler.scheduleAtFixedRate(() -> {
                for (int i = 0; i < ratePerSecond / 10; i++) {
                    int n = sent.getAndIncrement();
                    module.send(SamplePayments.json("SOAK-" + n,
                            SamplePayments.iban(ESTABLISHMENTS.get(n % ESTABLISHMENTS.size()), n)), Map.of());
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            scheduler.scheduleAtFixedRate(() -> inject(random, injected), 1000, 1500, TimeUnit.MILLISECONDS);

            long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            long heapCheck = System.nanoTime() + Duration.ofSeconds(Math.min(10, seconds / 3)).toNanos();
            while (System.nanoTime() < end) {
                PispModule.Outcomes o = module.awaitOutcomes(Integer.MAX_VALUE, Duration.ofSeconds(1));
                accepted.addAll(o.accepted());
                failed.addAll(o.failed());
                if (heapAtStart == 0 && System.nanoTime() > heapCheck) {
                    heapAtStart = usedHeapAfterGc();
                }
            }
        } finally {
            scheduler.shutdownNow();
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        }
        int in = sent.get();
        long drainDeadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (accepted.size() + failed.size() < in && System.nanoTime() < drainDeadline) {
            PispModule.Outcomes o = module.awaitOutcomes(in - accepted.size() - failed.size(), Duration.ofSeconds(5));
            accepted.addAll(o.accepted());
            failed.addAll(o.failed());
        }
        long heapAtEnd = usedHeapAfterGc();

        Map<String, Long> failedByCode = failed.stream()
                .collect(Collectors.groupingBy(o -> o.header("pispErrorCode"), Collectors.counting()));
        Map<String, Integer> faults = module.bank().faultsApplied();
        long unknown = failedByCode.getOrDefault("OUTCOME_UNKNOWN", 0L);
        int timeouts = faults.getOrDefault("payment:slow-answer", 0);
        int maxPerPayment = module.bank().processedPayments().values().stream().mapToInt(Integer::intValue).max().orElse(0);
        System.out.printf("SOAK %d s at %d msg/s: in=%d accepted=%d failed=%d %s; fault injections=%d applied=%s; "
                        + "token requests=%d; bank max per payment=%d; used heap after GC %d MB -> %d MB%n",
                seconds, ratePerSecond, in, accepted.size(), failed.size(), failedByCode, injected.get(), faults,
                module.bank().totalTokenRequests(), maxPerPayment, heapAtStart >> 20, heapAtEnd >> 20);

        assertEquals(in, accepted.size() + failed.size(), "messages in = accepted + failed");
        assertEquals(in, accepted.stream().map(o -> o.header("pispPaymentInformationId")).distinct().count()
                + failed.stream().map(o -> o.header("pispPaymentInformationId")).distinct().count(),
                "one outcome per message");
        assertEquals(1, maxPerPayment, "no payment twice at the bank");
        assertEquals(timeouts, unknown, "each OUTCOME_UNKNOWN is a simulated timeout");
        assertTrue(accepted.size() > in * 0.8, "most payments accepted despite the faults");
    }

    private static void inject(Random random, AtomicInteger injected) {
        String cdetab = ESTABLISHMENTS.get(random.nextInt(ESTABLISHMENTS.size()));
        switch (injected.getAndIncrement() % 5) {
            case 0 -> { // token endpoint 503 burst, made visible by a revocation that forces new tokens
                module.bank().failTokenRequests(cdetab, 3, Fault.status(503, "Service indisponible"));
                module.bank().revokeAllTokens();
            }
            case 1 -> module.bank().failPayments(cdetab, 3, Fault.status(503, "Service indisponible"));
            case 2 -> module.bank().failPayments(cdetab, 1, Fault.slowAnswer(1500));
            case 3 -> module.bank().failPayments(cdetab, 1, Fault.retryAfter(429, 1));
            default -> module.bank().revokeAllTokens();
        }
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
