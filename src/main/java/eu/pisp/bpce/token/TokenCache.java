package eu.pisp.bpce.token;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.LoadingCache;
import eu.pisp.bpce.Props;
import eu.pisp.bpce.outcome.FailureReasons;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One access token per establishment, in a Caffeine {@link LoadingCache} that the routes reach through
 * {@code caffeine-loadcache:pisp-tokens}. The loader sends to the {@code direct:fetch-token} route, so the HTTP call
 * itself stays declarative. Caffeine loads a key atomically: concurrent misses for one establishment wait for a single
 * token request.
 *
 * <p>Each entry lives until its own expiry ({@code expires_in} minus a margin); past a share of that life it is renewed
 * in the background while still served (refresh-ahead).
 */
public final class TokenCache {

    private static final Logger LOG = LoggerFactory.getLogger(TokenCache.class);
    /** Least time between two background refresh attempts of one establishment, so a failing endpoint is not hammered. */
    private static final Duration REFRESH_RETRY_SPACING = Duration.ofSeconds(5);

    private final TokenPolicy policy;
    private final AtomicLong serials = new AtomicLong();
    private final Map<String, Instant> lastRefreshAttempt = new ConcurrentHashMap<>();
    private final LoadingCache<String, AccessToken> cache;
    private final ProducerTemplate template;
    private final String fetchUri;
    private volatile TokenEvents events = TokenEvents.NONE;

    /**
     * @param template        used by the loader to call the fetch route
     * @param fetchUri        the route that fetches a token (header {@code cdetab} in, {@link TokenResponse} out)
     * @param policy          expiry arithmetic
     * @param refreshExecutor runs background refreshes
     */
    public TokenCache(ProducerTemplate template, String fetchUri, TokenPolicy policy, Executor refreshExecutor) {
        this.template = template;
        this.fetchUri = fetchUri;
        this.policy = policy;
        this.cache = Caffeine.newBuilder()
                .maximumSize(10_000)
                .executor(refreshExecutor)
                .expireAfter(new Expiry<String, AccessToken>() {
                    @Override
                    public long expireAfterCreate(String key, AccessToken token, long currentTime) {
                        return nanosUntil(token.expiresAt());
                    }

                    @Override
                    public long expireAfterUpdate(String key, AccessToken token, long currentTime, long currentDuration) {
                        return nanosUntil(token.expiresAt());
                    }

                    @Override
                    public long expireAfterRead(String key, AccessToken token, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build(this::load);
    }

    /** Where token requests and refreshes are reported (metrics, health). */
    public void setEvents(TokenEvents events) {
        this.events = events == null ? TokenEvents.NONE : events;
    }

    /** The token held for an establishment now, or null (no lookup, no load: for metrics and health). */
    public AccessToken current(String cdetab) {
        return cache.asMap().get(cdetab);
    }

    /** The Caffeine cache itself, bound in the registry for the caffeine-loadcache component. */
    public LoadingCache<String, AccessToken> cache() {
        return cache;
    }

    /** Route step before the cache lookup: notes in property pispTokenSerialSeen the newest serial so far. */
    public void beforeLookup(Exchange exchange) {
        exchange.setProperty(Props.TOKEN_SERIAL_SEEN, serials.get());
    }

    /**
     * Route step after the cache lookup (body: the {@link AccessToken}): sets properties pispToken, pispAuthorization
     * (the header value), pispTokenFresh (obtained during this very lookup) and pispTokenRefreshDue (time to renew it
     * in the background).
     */
    public void afterLookup(Exchange exchange) {
        AccessToken token = exchange.getMessage().getBody(AccessToken.class);
        if (token == null) {
            throw new TokenUnavailableException("The token cache gave no token for establishment "
                    + exchange.getProperty(Props.CDETAB), false);
        }
        Long seen = exchange.getProperty(Props.TOKEN_SERIAL_SEEN, Long.class);
        exchange.setProperty(Props.TOKEN, token);
        exchange.setProperty(Props.AUTHORIZATION, token.getAuthorization());
        exchange.setProperty(Props.TOKEN_FRESH, seen == null || token.serial() > seen);
        exchange.setProperty(Props.TOKEN_REFRESH_DUE, token.isRefreshDue());
    }

    /** The cached token of an establishment, loading it (once, whatever the concurrency) on a miss. */
    public AccessToken get(String cdetab) {
        return cache.get(cdetab);
    }

    /**
     * Drops the token the bank refused, but only if the cache still holds that very token: after one expiry a burst of
     * 403s then causes one token request, not one per message.
     */
    public boolean invalidateIfCurrent(String cdetab, AccessToken refused) {
        boolean removed = refused != null && cache.asMap().remove(cdetab, refused);
        if (removed) {
            LOG.info("Dropped the token #{} of establishment {}: the bank refused it", refused.serial(), cdetab);
            events.refreshed(cdetab, TokenEvents.RefreshReason.REFUSED_BY_BANK);
        }
        return removed;
    }

    /** Starts a background renewal of a token that is close to its expiry; the current token stays in use meanwhile. */
    public void refreshAhead(String cdetab) {
        Instant now = Instant.now();
        Instant last = lastRefreshAttempt.get(cdetab);
        if (last != null && now.isBefore(last.plus(REFRESH_RETRY_SPACING))) {
            return;
        }
        if (last == null ? lastRefreshAttempt.putIfAbsent(cdetab, now) != null
                : !lastRefreshAttempt.replace(cdetab, last, now)) {
            return; // another thread started it
        }
        LOG.debug("Renewing the token of establishment {} ahead of its expiry", cdetab);
        events.refreshed(cdetab, TokenEvents.RefreshReason.AHEAD_OF_EXPIRY);
        cache.refresh(cdetab);
    }

    /** Empties the cache (operations, tests). */
    public void invalidateAll() {
        cache.invalidateAll();
        lastRefreshAttempt.clear();
    }

    private AccessToken load(String cdetab) {
        try {
            AccessToken token = fetch(cdetab);
            events.requested(cdetab, TokenEvents.Result.OBTAINED);
            return token;
        } catch (TokenUnavailableException e) {
            events.requested(cdetab, e.isRetryable() ? TokenEvents.Result.UNAVAILABLE : TokenEvents.Result.REFUSED);
            throw e;
        }
    }

    private AccessToken fetch(String cdetab) {
        // The fetch is an exchange of its own: where Camel's MDC unit of work is on (an application embedding the
        // routes may turn it on), its end clears the payment's logging context (MDC) from this thread. Kept and put
        // back, so the rest of the payment's lines still carry it.
        Map<String, String> logContext = org.slf4j.MDC.getCopyOfContextMap();
        Exchange answer;
        try {
            answer = template.send(fetchUri, ExchangePattern.InOut,
                    ex -> ex.getMessage().setHeader("cdetab", cdetab));
        } finally {
            if (logContext != null) {
                org.slf4j.MDC.setContextMap(logContext);
            }
        }
        Exception failure = answer.getException();
        if (failure != null) {
            throw new TokenUnavailableException(
                    FailureReasons.describe("the token endpoint of establishment " + cdetab, failure),
                    FailureReasons.isTransient(failure));
        }
        Object body = answer.getMessage().getBody();
        if (!(body instanceof TokenResponse response)) {
            throw new TokenUnavailableException(
                    "The token endpoint of establishment " + cdetab + " gave no token answer", false);
        }
        if (response.accessToken == null || response.accessToken.isBlank()) {
            throw new TokenUnavailableException(
                    "The token endpoint of establishment " + cdetab + " answered without an access_token", false);
        }
        if (response.tokenType != null && !"bearer".equals(response.tokenType.toLowerCase(Locale.ROOT))) {
            throw new TokenUnavailableException("The token endpoint of establishment " + cdetab
                    + " answered token_type '" + response.tokenType + "', not Bearer", false);
        }
        Instant now = Instant.now();
        TokenPolicy.Lifetime life = policy.lifetime(response.expiresIn);
        AccessToken token = new AccessToken(response.accessToken, cdetab, serials.incrementAndGet(), now,
                now.plus(life.refreshAfter()), now.plus(life.expiresAfter()));
        LOG.info("Obtained token #{} for establishment {} (expires_in={}, cached until {})", token.serial(), cdetab,
                response.expiresIn, token.expiresAt());
        return token;
    }

    private static long nanosUntil(Instant instant) {
        long nanos = Duration.between(Instant.now(), instant).toNanos();
        return Math.max(0, nanos);
    }
}
