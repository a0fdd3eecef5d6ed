package eu.pisp.bpce.observe;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.Props;
import eu.pisp.bpce.establishment.Establishment;
import eu.pisp.bpce.establishment.EstablishmentRegistry;
import eu.pisp.bpce.sendrecord.SendRecordEvents;
import eu.pisp.bpce.sendrecord.SendRecordStore;
import eu.pisp.bpce.token.AccessToken;
import eu.pisp.bpce.token.TokenEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;

/**
 * The module's own metrics ({@code pisp_*}, Prometheus names in the README), and the little per-establishment state
 * that the health details show (last token obtained, token endpoint failing). Tags carry only values the module
 * checked: a registered establishment code ({@code none} when the payment had none), an {@link ErrorCode} name, a
 * fixed set of results. Never a raw header, a token or an IBAN: the number of series stays bounded whatever arrives.
 *
 * <p>With metrics off the registry is an empty composite: every meter is a no-op.
 */
public final class PispMetrics implements TokenEvents, SendRecordEvents {

    /** The tag value for "no registered establishment" (bad input, unknown code). */
    public static final String NONE = "none";
    private static final Set<String> CODES = Arrays.stream(ErrorCode.values()).map(Enum::name)
            .collect(Collectors.toUnmodifiableSet());
    /** Bank call duration buckets (seconds): a bank answers in tens of milliseconds, times out at 30 s. */
    private static final Duration[] BUCKETS = {Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private final MeterRegistry registry;
    private final EstablishmentRegistry establishments;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, TokenState> tokens = new ConcurrentHashMap<>();
    private volatile java.util.function.Function<String, AccessToken> currentToken = cdetab -> null;

    public PispMetrics(MeterRegistry registry, EstablishmentRegistry establishments) {
        this.registry = registry;
        this.establishments = establishments;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Where the token gauges read the token held now (never its value: only its times). */
    void tokenSource(java.util.function.Function<String, AccessToken> currentToken) {
        this.currentToken = currentToken;
    }

    /**
     * The establishment of an exchange as a tag: the registry-checked code set by resolve-establishment (or the
     * establishment record of the token fetch), {@value #NONE} otherwise.
     */
    public String cdetab(Exchange exchange) {
        String code = exchange.getProperty(Props.CDETAB, String.class);
        if (code == null) {
            Establishment e = exchange.getProperty(Props.ESTABLISHMENT, Establishment.class);
            code = e == null ? null : e.cdetab();
        }
        return registered(code);
    }

    private String registered(String code) {
        return code != null && establishments.all().containsKey(code) ? code : NONE;
    }

    /**
     * Route step in publish-outcome, where every outcome passes once (accepted or failed, queued or returned to an
     * in-process caller): {@code pisp_payments_total{cdetab,outcome,code}} for payment requests; the outcome of another
     * operation (a route setting {@code pispOperation}, e.g. a status request) counts in
     * {@code pisp_operations_total{cdetab,operation,outcome,code}} instead.
     */
    public void outcome(Exchange exchange) {
        String operation = exchange.getProperty(BankCallTimer.OPERATION, String.class);
        if (operation != null && !"payment".equals(operation)) {
            operation = token(operation.toUpperCase(java.util.Locale.ROOT)).toLowerCase(java.util.Locale.ROOT);
        }
        // Set by the module's own outcome builders (ACCEPTED, FAILED, STATUS...; inbound headers are dropped at intake):
        // a bounded set. Anything else is OTHER.
        String outcome = token(exchange.getMessage().getHeader("pispOutcome", String.class));
        String code = NONE;
        if ("FAILED".equals(outcome)) {
            String c = exchange.getMessage().getHeader("pispErrorCode", String.class);
            code = c != null && CODES.contains(c) ? c : "OTHER";
        }
        if (operation == null || "payment".equals(operation)) {
            counter("pisp.payments", "payment requests by outcome: one per message, when its outcome is published",
                    "cdetab", cdetab(exchange), "outcome", outcome, "code", code).increment();
        } else {
            counter("pisp.operations", "other operations (status, cancellation...) by outcome", "cdetab",
                    cdetab(exchange), "operation", operation, "outcome", outcome, "code", code).increment();
        }
    }

    /** An upper-case word (A-Z and _, at most 40) as it is, anything else OTHER: a tag value from a fixed vocabulary. */
    private static String token(String value) {
        if (value == null || value.isEmpty() || value.length() > 40) {
            return "OTHER";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c == '_')) {
                return "OTHER";
            }
        }
        return value;
    }

    /** One call to a bank: {@code pisp_bank_call_duration_seconds{cdetab,operation,status}}. */
    void bankCall(String cdetab, String operation, String status, long nanos) {
        String key = cdetab + '|' + operation + '|' + status;
        timers.computeIfAbsent(key, k -> Timer.builder("pisp.bank.call.duration")
                .description("calls to the banks (token, payment and later operations) by HTTP status")
                .tags("cdetab", cdetab, "operation", operation, "status", status)
                .serviceLevelObjectives(BUCKETS)
                .register(registry)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A payment refused by its establishment's open circuit: {@code pisp_circuit_rejections_total{cdetab}}. */
    public void circuitRejected(String cdetab) {
        counter("pisp.circuit.rejections", "payments failed fast by an open circuit (nothing sent)",
                "cdetab", registered(cdetab)).increment();
    }

    @Override
    public void requested(String cdetab, Result result) {
        String code = registered(cdetab);
        counter("pisp.token.requests", "token requests to the banks by result", "cdetab", code, "result",
                result.name().toLowerCase(java.util.Locale.ROOT)).increment();
        TokenState state = tokens.computeIfAbsent(code, this::tokenGauges);
        state.record(result);
    }

    @Override
    public void refreshed(String cdetab, RefreshReason reason) {
        counter("pisp.token.refreshes", "tokens renewed before the bank's expiry, by reason", "cdetab",
                registered(cdetab), "reason", reason.name().toLowerCase(java.util.Locale.ROOT)).increment();
    }

    @Override
    public void claimed(String cdetab, SendRecordStore.Claimed claimed) {
        String code = registered(cdetab);
        counter("pisp.send.record.claims", "send record claims by answer (new: the send may start)", "cdetab", code,
                "result", claimed.name().toLowerCase(java.util.Locale.ROOT)).increment();
        if (claimed == SendRecordStore.Claimed.OTHER_MESSAGE) {
            counter("pisp.send.record.duplicates.refused",
                    "payments refused as DUPLICATE_PAYMENT: another message had sent them", "cdetab", code).increment();
        } else if (claimed == SendRecordStore.Claimed.SAME_MESSAGE) {
            unknown(code, "redelivered");
        }
    }

    @Override
    public void unavailable(String cdetab) {
        counter("pisp.send.record.claims", "send record claims by answer (new: the send may start)", "cdetab",
                registered(cdetab), "result", "unavailable").increment();
    }

    @Override
    public void outcomeUnknown(String cdetab) {
        unknown(registered(cdetab), "no_answer");
    }

    private void unknown(String code, String cause) {
        counter("pisp.send.record.outcome.unknown",
                "payments that may be at the bank, to reconcile (no answer seen, or a redelivery of a started send)",
                "cdetab", code, "cause", cause).increment();
    }

    /** Registers a gauge that reads its value when scraped (held strongly: the supplier is this module's). */
    void gauge(String name, String description, String baseUnit, Supplier<Number> value, String... tags) {
        Gauge.builder(name, value).description(description).baseUnit(baseUnit).tags(tags).strongReference(true)
                .register(registry);
    }

    /** What the health details say of an establishment's token (never the token). */
    public String tokenSummary(String cdetab, Instant now) {
        TokenState state = tokens.get(cdetab);
        AccessToken held = currentToken.apply(cdetab);
        StringBuilder s = new StringBuilder();
        if (held != null) {
            s.append("held, obtained ").append(Duration.between(held.obtainedAt(), now).toSeconds())
                    .append(" s ago, expires in ").append(Duration.between(now, held.expiresAt()).toSeconds())
                    .append(" s");
        } else {
            s.append("none held");
        }
        if (state != null && state.failingSince != null) {
            s.append("; token endpoint FAILING since ").append(state.failingSince).append(" (")
                    .append(state.consecutiveFailures).append(" requests in a row)");
        }
        return s.toString();
    }

    /** True while the establishment's last token requests failed. */
    public boolean tokenEndpointFailing(String cdetab) {
        TokenState state = tokens.get(cdetab);
        return state != null && state.failingSince != null;
    }

    /** The establishments whose token endpoint was asked at least once. */
    public Set<String> tokenEstablishments() {
        return tokens.keySet();
    }

    private TokenState tokenGauges(String cdetab) {
        // Read when scraped, from the cache: NaN while no token is held.
        gauge("pisp.token.age", "age of the token held for the establishment", "seconds", () -> {
            AccessToken t = currentToken.apply(cdetab);
            return t == null ? Double.NaN : Duration.between(t.obtainedAt(), Instant.now()).toMillis() / 1000.0;
        }, "cdetab", cdetab);
        gauge("pisp.token.time.to.expiry", "time until the held token is no longer used", "seconds", () -> {
            AccessToken t = currentToken.apply(cdetab);
            return t == null ? Double.NaN : Duration.between(Instant.now(), t.expiresAt()).toMillis() / 1000.0;
        }, "cdetab", cdetab);
        return new TokenState();
    }

    private Counter counter(String name, String description, String... tags) {
        StringBuilder key = new StringBuilder(name);
        for (String t : tags) {
            key.append('|').append(t);
        }
        return counters.computeIfAbsent(key.toString(), k -> Counter.builder(name).description(description)
                .tags(Tags.of(tags)).register(registry));
    }

    /** The outcome of an establishment's last token requests. */
    private static final class TokenState {
        volatile Instant failingSince;
        volatile int consecutiveFailures;

        synchronized void record(Result result) {
            if (result == Result.OBTAINED) {
                failingSince = null;
                consecutiveFailures = 0;
            } else {
                if (failingSince == null) {
                    failingSince = Instant.now();
                }
                consecutiveFailures++;
            }
        }
    }
}
