package eu.pisp.bpce.resilience;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code retryWhile} of the "bank unavailable" redelivery policies: retry a payment request the bank certainly did
 * not process (no connection, 429, 503) a bounded number of times, and wait what the bank's {@code Retry-After} asks
 * when it gives one (the policy's exponential back-off otherwise). A {@code Retry-After} longer than the cap ends the
 * retries at once: a consumer thread is not held for minutes.
 */
public final class BankRetries {

    /** Exchange property set when the bank asked for a longer wait than the cap (for the failure reason). */
    public static final String RETRY_AFTER_REFUSED = "pispRetryAfterTooLong";

    /** Exchange property: how many times this payment was resent because the bank was unavailable. */
    public static final String RETRIES = "pispBankRetries";

    private static final Logger LOG = LoggerFactory.getLogger(BankRetries.class);

    private final int maxRetries;
    private final Duration maxRetryAfter;

    /**
     * @param maxRetries    {@code pisp.payment.retry.max-retries}: resends after the first attempt
     * @param maxRetryAfter {@code pisp.payment.retry.max-retry-after-ms}: the longest Retry-After honoured
     */
    public BankRetries(int maxRetries, Duration maxRetryAfter) {
        this.maxRetries = maxRetries;
        this.maxRetryAfter = maxRetryAfter;
    }

    public boolean shouldRetry(Exchange exchange) {
        exchange.getIn().removeHeader(Exchange.REDELIVERY_DELAY);
        // Counted here, not from Camel's redelivery header: that header lives on the message, which Camel restores
        // before each redelivery, so it cannot be trusted to bound the loop.
        int done = exchange.getProperty(RETRIES, 0, Integer.class);
        if (done >= maxRetries) {
            return false;
        }
        Duration retryAfter = retryAfter(failure(exchange));
        if (retryAfter != null) {
            if (retryAfter.compareTo(maxRetryAfter) > 0) {
                exchange.setProperty(RETRY_AFTER_REFUSED, retryAfter.toSeconds());
                LOG.warn("The bank asks to retry after {} s, more than pisp.payment.retry.max-retry-after-ms: "
                        + "not retrying", retryAfter.toSeconds());
                return false;
            }
            exchange.getIn().setHeader(Exchange.REDELIVERY_DELAY, retryAfter.toMillis());
        }
        exchange.setProperty(RETRIES, done + 1);
        return true;
    }

    private static Throwable failure(Exchange exchange) {
        Throwable t = exchange.getException();
        return t != null ? t : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
    }

    /** The bank's Retry-After (delta-seconds or HTTP-date), or null. */
    static Duration retryAfter(Throwable failure) {
        if (!(failure instanceof HttpOperationFailedException http) || http.getResponseHeaders() == null) {
            return null;
        }
        for (Map.Entry<String, String> h : http.getResponseHeaders().entrySet()) {
            if (!"Retry-After".equalsIgnoreCase(h.getKey()) || h.getValue() == null) {
                continue;
            }
            String v = h.getValue().trim();
            try {
                return Duration.ofSeconds(Math.max(0, Long.parseLong(v)));
            } catch (NumberFormatException notSeconds) {
                try {
                    Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                    Duration d = Duration.between(Instant.now(), at);
                    return d.isNegative() ? Duration.ZERO : d;
                } catch (RuntimeException notADate) {
                    return null;
                }
            }
        }
        return null;
    }
}
