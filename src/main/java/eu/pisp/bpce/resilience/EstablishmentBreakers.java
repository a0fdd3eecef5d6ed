package eu.pisp.bpce.resilience;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.Props;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Resilience4j circuit breaker per establishment, so that an establishment that is down fails fast instead of
 * holding consumer threads in timeouts and back-offs that the other establishments need. Each payment is one call: it
 * counts as an error when it ends TOKEN_UNAVAILABLE, BANK_UNAVAILABLE or OUTCOME_UNKNOWN after a call to the bank, as a
 * success when the bank answered (accepted or refused); anything else (the send record refusing a redelivery or a
 * duplicate, bad input, the send record unreachable) leaves the circuit alone.
 */
public final class EstablishmentBreakers {

    private static final Logger LOG = LoggerFactory.getLogger(EstablishmentBreakers.class);
    private static final String PERMIT = "pispBreakerPermitAt";
    private static final Set<String> ERRORS = Set.of(ErrorCode.TOKEN_UNAVAILABLE.name(),
            ErrorCode.BANK_UNAVAILABLE.name(), ErrorCode.OUTCOME_UNKNOWN.name());
    private static final Set<String> BANK_ANSWERED = Set.of("ACCEPTED", ErrorCode.REJECTED_BY_BANK.name(),
            ErrorCode.PAYMENT_REQUEST_NOT_FOUND.name());

    private final CircuitBreakerRegistry registry;
    private volatile java.util.function.Consumer<String> onRejected = cdetab -> { };

    /**
     * @param failureRatePercent {@code pisp.breaker.failure-rate-threshold}: open above this share of failed payments
     * @param windowSize         {@code pisp.breaker.sliding-window-size}: the last N payments of the establishment
     * @param minimumCalls       {@code pisp.breaker.minimum-calls}: payments needed before the rate counts
     * @param openFor            {@code pisp.breaker.open-wait-ms}: fail fast this long, then let a few through
     * @param halfOpenCalls      {@code pisp.breaker.half-open-calls}: payments let through to test recovery
     */
    public EstablishmentBreakers(float failureRatePercent, int windowSize, int minimumCalls, Duration openFor,
                                 int halfOpenCalls) {
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .failureRateThreshold(failureRatePercent)
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(windowSize)
                .minimumNumberOfCalls(minimumCalls)
                .waitDurationInOpenState(openFor)
                .permittedNumberOfCallsInHalfOpenState(halfOpenCalls)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .build();
        this.registry = CircuitBreakerRegistry.of(config);
        registry.getEventPublisher().onEntryAdded(added -> added.getAddedEntry().getEventPublisher()
                .onStateTransition(e -> LOG.warn("Establishment {}: circuit {}", e.getCircuitBreakerName(),
                        e.getStateTransition())));
    }

    /** Before calling an establishment: fails fast with BANK_UNAVAILABLE while its circuit is open. */
    public void acquire(Exchange exchange) {
        String cdetab = exchange.getProperty(Props.CDETAB, String.class);
        CircuitBreaker breaker = registry.circuitBreaker(cdetab);
        if (!breaker.tryAcquirePermission()) {
            onRejected.accept(cdetab);
            throw new PaymentFailedException(ErrorCode.BANK_UNAVAILABLE, "Establishment " + cdetab
                    + " is failing (circuit " + breaker.getState() + ", failure rate "
                    + Math.round(breaker.getMetrics().getFailureRate()) + "%): not sent; submit it again later");
        }
        exchange.setProperty(PERMIT, System.nanoTime());
    }

    /** After the outcome is known (headers pispOutcome / pispErrorCode): records it on the establishment's circuit. */
    public void record(Exchange exchange) {
        Long since = exchange.getProperty(PERMIT, Long.class);
        if (since == null) {
            return; // no permission was taken (failed earlier, or the circuit was open)
        }
        exchange.removeProperty(PERMIT);
        CircuitBreaker breaker = registry.circuitBreaker(exchange.getProperty(Props.CDETAB, String.class));
        long nanos = System.nanoTime() - since;
        String outcome = exchange.getMessage().getHeader("pispOutcome", String.class);
        // Any outcome but FAILED is an answer of the bank (a payment accepted, a status read, a cancellation requested).
        String code = outcome != null && !"FAILED".equals(outcome) ? "ACCEPTED"
                : exchange.getMessage().getHeader("pispErrorCode", String.class);
        // An OUTCOME_UNKNOWN that the send record gave (a redelivered message: nothing was sent now, e.g. after a
        // broker restart) says nothing of the bank: it must not open the establishment's circuit.
        boolean bankCalled = Boolean.TRUE.equals(exchange.getProperty(Props.SEND_STARTED, Boolean.class));
        if (code != null && BANK_ANSWERED.contains(code)) {
            breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
        } else if (ErrorCode.OUTCOME_UNKNOWN.name().equals(code) && !bankCalled) {
            breaker.releasePermission();
        } else if (code != null && ERRORS.contains(code)) {
            breaker.onError(nanos, TimeUnit.NANOSECONDS, new IllegalStateException(code));
        } else {
            breaker.releasePermission();
        }
    }

    /** The state of an establishment's circuit (operations, tests). */
    public CircuitBreaker.State state(String cdetab) {
        return registry.circuitBreaker(cdetab).getState();
    }

    /** Told the establishment of each payment the open circuit refuses (metrics). */
    public void setOnRejected(java.util.function.Consumer<String> onRejected) {
        this.onRejected = onRejected;
    }

    /** The state of every circuit created so far (one per establishment called): metrics and health. */
    public java.util.Map<String, CircuitBreaker.State> states() {
        java.util.Map<String, CircuitBreaker.State> states = new java.util.TreeMap<>();
        registry.getAllCircuitBreakers().forEach(b -> states.put(b.getName(), b.getState()));
        return states;
    }

    /** Closes every circuit (tests). */
    public void reset() {
        registry.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
    }
}
