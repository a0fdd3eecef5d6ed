package eu.pisp.bpce.observe;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.component.http.HttpEndpoint;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSendingEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSentEvent;
import org.apache.camel.spi.UnitOfWork;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Times every call to a bank, whatever route makes it: Camel tells when an exchange is sent to an http(s) endpoint and
 * when the answer (or failure) is back. No route has to change for a new bank operation: its {@code operation} tag is
 * the exchange property {@code pispOperation} when a route sets it, else the id of the route making the call
 * ({@code fetch-token}, {@code send-payment-request}, ...).
 */
public final class BankCallTimer extends EventNotifierSupport {

    /** Exchange property a route may set to name its bank operation in the metrics. */
    public static final String OPERATION = "pispOperation";
    private static final String STARTED = "pispBankCallStartedNanos";

    private final PispMetrics metrics;

    public BankCallTimer(PispMetrics metrics) {
        this.metrics = metrics;
        // Only the sending / sent events are wanted: Camel then builds no other event object per exchange.
        setIgnoreCamelContextEvents(true);
        setIgnoreCamelContextInitEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreStepEvents(true);
        setIgnoreExchangeCreatedEvent(true);
        setIgnoreExchangeCompletedEvent(true);
        setIgnoreExchangeFailedEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
        setIgnoreExchangeAsyncProcessingStartedEvents(true);
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        if (event instanceof ExchangeSendingEvent e) {
            return isBank(e.getEndpoint());
        }
        return event instanceof ExchangeSentEvent e && isBank(e.getEndpoint());
    }

    @Override
    public void notify(CamelEvent event) {
        if (event instanceof ExchangeSendingEvent e) {
            e.getExchange().setProperty(STARTED, System.nanoTime());
        } else if (event instanceof ExchangeSentEvent e) {
            Exchange exchange = e.getExchange();
            Long started = exchange.getProperty(STARTED, Long.class);
            exchange.removeProperty(STARTED);
            long nanos = started == null ? e.getTimeTaken() * 1_000_000L : System.nanoTime() - started;
            metrics.bankCall(metrics.cdetab(exchange), operation(exchange), status(exchange), nanos);
        }
    }

    private static boolean isBank(Endpoint endpoint) {
        return endpoint instanceof HttpEndpoint;
    }

    private static String operation(Exchange exchange) {
        String op = exchange.getProperty(OPERATION, String.class);
        if (op != null) {
            return op;
        }
        UnitOfWork uow = exchange.getUnitOfWork();
        Route route = uow == null ? null : uow.getRoute();
        String id = route != null ? route.getRouteId() : exchange.getFromRouteId();
        return id == null ? "unknown" : id;
    }

    /** The HTTP status, or what kept the bank from answering (a small fixed set). */
    private static String status(Exchange exchange) {
        Exception failure = exchange.getException();
        if (failure == null) {
            Integer code = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
            return code == null ? "none" : code.toString();
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof HttpOperationFailedException h) {
                return Integer.toString(h.getStatusCode());
            }
            if (t instanceof SocketTimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
                return t.getClass().getSimpleName().contains("Connect") ? "no_connection" : "timeout";
            }
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException) {
                return "no_connection";
            }
            if (t instanceof javax.net.ssl.SSLException) {
                return "tls_failure";
            }
        }
        return "no_answer";
    }
}
