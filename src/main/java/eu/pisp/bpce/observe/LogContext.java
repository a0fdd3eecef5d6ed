package eu.pisp.bpce.observe;

import org.slf4j.MDC;

/**
 * The payment's logging context (SLF4J MDC): set by the route steps that learn each value, so that every later line
 * of the payment carries it, retries and token refreshes included. Camel's MDC unit of work
 * ({@code camel.main.use-mdc-logging}, {@code mdc-logging-keys-pattern} naming these keys) carries them across
 * threads and clears them when the exchange is done, so nothing leaks into the next message of a consumer thread.
 */
public final class LogContext {

    public static final String PAYMENT_ID = "paymentInformationId";
    public static final String CDETAB = "cdetab";
    public static final String REQUEST_ID = "X-Request-ID";
    public static final String MESSAGE_ID = "JMSMessageID";

    private LogContext() {
    }

    /** The message's ids, as soon as they are known (intake). */
    public static void message(String messageId, String requestId) {
        put(MESSAGE_ID, messageId);
        put(REQUEST_ID, requestId);
    }

    /** The payment's paymentInformationId, once the request is valid. */
    public static void payment(String paymentInformationId) {
        put(PAYMENT_ID, paymentInformationId);
    }

    /** The registered establishment, once resolved (never the raw header). */
    public static void establishment(String cdetab) {
        put(CDETAB, cdetab);
    }

    private static void put(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }
}
