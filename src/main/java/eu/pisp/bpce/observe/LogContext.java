package eu.pisp.bpce.observe;

import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.MDC;

/**
 * The payment's logging context (SLF4J MDC): set by the route steps that learn each value, so that every later line
 * of the payment carries it, retries and token refreshes included (they run on the same thread: redeliveries here
 * are not asynchronous). When the exchange is done the keys are removed, so nothing leaks into the next message of a
 * consumer thread.
 *
 * <p>Why not Camel's MDC unit of work ({@code camel.main.use-mdc-logging}): it copies the whole MDC twice at every step
 * of every route, and with a key pattern compiles a regular expression per key and name; measured on the TCP path
 * (bench/run.sh tcp, JFR) that was the largest cost of the JMS consumer threads. This costs one map write per key
 * and one completion callback per exchange.
 */
public final class LogContext {

    public static final String PAYMENT_ID = "paymentInformationId";
    public static final String CDETAB = "cdetab";
    public static final String REQUEST_ID = "X-Request-ID";
    public static final String MESSAGE_ID = "JMSMessageID";

    /** Exchange property: the clearing callback is registered on this exchange. */
    private static final String OPEN = "pispLogContextOpen";

    private static final SynchronizationAdapter CLEAR_WHEN_DONE = new SynchronizationAdapter() {
        @Override
        public void onDone(Exchange exchange) {
            clear();
        }
    };

    private LogContext() {
    }

    /** The message's ids, as soon as they are known (intake): a new message starts a new context. */
    public static void message(Exchange exchange, String messageId, String requestId) {
        clear();
        put(exchange, MESSAGE_ID, messageId);
        put(exchange, REQUEST_ID, requestId);
    }

    /** The payment's paymentInformationId, once the request is valid. */
    public static void payment(Exchange exchange, String paymentInformationId) {
        put(exchange, PAYMENT_ID, paymentInformationId);
    }

    /** The registered establishment, once resolved (never the raw header). */
    public static void establishment(Exchange exchange, String cdetab) {
        put(exchange, CDETAB, cdetab);
    }

    /** Removes the payment's keys from this thread's logging context. */
    public static void clear() {
        MDC.remove(MESSAGE_ID);
        MDC.remove(REQUEST_ID);
        MDC.remove(PAYMENT_ID);
        MDC.remove(CDETAB);
    }

    private static void put(Exchange exchange, String key, String value) {
        if (exchange.getProperty(OPEN) == null) {
            exchange.setProperty(OPEN, Boolean.TRUE);
            exchange.getExchangeExtension().addOnCompletion(CLEAR_WHEN_DONE);
        }
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }
}
