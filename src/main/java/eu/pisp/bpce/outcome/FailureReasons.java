package eu.pisp.bpce.outcome;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.Props;
import eu.pisp.bpce.establishment.Establishment;
import eu.pisp.bpce.establishment.Masking;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * Turns what went wrong into the readable {@code pispErrorReason}: what failed, the bank's HTTP status and the STET
 * {@code message} where there is one. Never the request, its headers or a token.
 */
public final class FailureReasons {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BANK_TEXT = 300;

    /** The reason for the exception being handled on this exchange (for use in onException steps). */
    public String describe(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (failure instanceof PaymentFailedException pfe) {
            return pfe.getReason();
        }
        boolean sendStarted = Boolean.TRUE.equals(exchange.getProperty(Props.SEND_STARTED, Boolean.class));
        // A GET sets no "send started" (nothing to lose): its answer, or its lost connection, is still the bank's.
        boolean bankAnswered = find(failure, HttpOperationFailedException.class) != null
                || "GET".equals(exchange.getProperty(Props.BANK_METHOD, String.class))
                && find(failure, java.io.IOException.class) != null;
        if (!sendStarted && !bankAnswered) {
            Throwable root = rootCause(failure);
            return "Unexpected error before anything was sent to the bank: " + root.getClass().getSimpleName()
                    + (root.getMessage() == null ? "" : ": " + Masking.printable(root.getMessage()));
        }
        Establishment est = exchange.getProperty(Props.ESTABLISHMENT, Establishment.class);
        String operation = exchange.getProperty(Props.OPERATION, "payment", String.class);
        String what = switch (operation) {
            case "status" -> "the status read (GET payment request) at establishment ";
            case "cancellation" -> "the cancellation (PUT payment request) at establishment ";
            case "confirmation" -> "the confirmation of the payment request at establishment ";
            default -> "the payment endpoint of establishment ";
        } + (est == null ? "?" : est.toString());
        Integer attempts = exchange.getProperty(Props.ATTEMPTS, Integer.class);
        String reason = describe(what, failure);
        Long retryAfter = exchange.getProperty(eu.pisp.bpce.resilience.BankRetries.RETRY_AFTER_REFUSED, Long.class);
        if (retryAfter != null) {
            reason += " (it asked to retry after " + retryAfter + " s)";
        }
        return attempts != null && attempts > 1 ? reason + " (after " + attempts + " attempts)" : reason;
    }

    /** A readable reason for a failed HTTP exchange with a bank endpoint. */
    public static String describe(String what, Throwable failure) {
        if (failure == null) {
            return capitalize(what) + " failed for an unknown reason";
        }
        HttpOperationFailedException http = find(failure, HttpOperationFailedException.class);
        if (http != null) {
            String bank = bankMessage(http.getResponseBody());
            return capitalize(what) + " answered HTTP " + http.getStatusCode()
                    + (bank.isEmpty() ? "" : ": " + bank);
        }
        javax.net.ssl.SSLException tls = find(failure, javax.net.ssl.SSLException.class);
        if (tls != null) {
            return tlsFailure(what, tls);
        }
        com.fasterxml.jackson.core.JacksonException json = find(failure, com.fasterxml.jackson.core.JacksonException.class);
        if (json != null) {
            // The parser's message quotes what it read: from a token endpoint that may be the token itself.
            return capitalize(what) + " answered a body that is not the expected JSON ("
                    + json.getClass().getSimpleName() + "; its content is not repeated here)";
        }
        IOException io = find(failure, IOException.class);
        if (io instanceof java.net.SocketException && insideTls(io)) {
            // TLS 1.3: a bank refusing the client certificate does so after the client's handshake is done, and the
            // alert is often lost to a reset connection.
            return capitalize(what) + " broke the TLS connection (" + io.getClass().getSimpleName()
                    + (io.getMessage() == null ? "" : ": " + Masking.printable(io.getMessage()))
                    + "); if every call fails so, check that the bank accepts our client certificate "
                    + "(QWAC, pisp.tls.keystore)";
        }
        Throwable shown = io != null ? io : rootCause(failure);
        String text = shown.getMessage() == null ? "" : ": " + Masking.printable(shown.getMessage());
        String verdict = isConnectFailure(shown) ? " could not be reached (" : " gave no answer (";
        return capitalize(what) + verdict + shown.getClass().getSimpleName() + text + ")";
    }

    /** A TLS failure, with what the operator should look at. */
    static String tlsFailure(String what, javax.net.ssl.SSLException tls) {
        String msg = tls.getMessage() == null ? "" : tls.getMessage();
        String m = msg.toLowerCase(java.util.Locale.ROOT);
        String hint;
        if (tls instanceof javax.net.ssl.SSLPeerUnverifiedException) {
            hint = "its server certificate does not match its host name";
        } else if (m.contains("pkix") || m.contains("certification path") || m.contains("certificate_unknown")
                && !m.contains("received")) {
            hint = "its server certificate is not trusted (pisp.tls.truststore)";
        } else if (m.contains("received fatal alert") && (m.contains("certificate") || m.contains("unknown_ca")
                || m.contains("access_denied") || m.contains("handshake_failure"))) {
            hint = "the bank refused our client certificate (QWAC, pisp.tls.keystore)";
        } else if (closedDuringHandshake(tls, m)) {
            // A bank refusing our certificate may just close the connection (seen with TLS 1.2 on a busy machine:
            // the alert lost): the likely cause still goes to the operator.
            hint = "the bank closed the connection during the handshake; if every call fails so, check that the bank "
                    + "accepts our client certificate (QWAC, pisp.tls.keystore)";
        } else {
            hint = "no secure connection could be made; if every call fails so, check our client certificate (QWAC, "
                    + "pisp.tls.keystore), the truststore (pisp.tls.truststore) and the TLS versions the bank accepts";
        }
        String verb = tls instanceof javax.net.ssl.SSLHandshakeException
                || tls instanceof javax.net.ssl.SSLPeerUnverifiedException ? "TLS handshake with " : "TLS connection with ";
        return verb + what + " failed: " + hint + " (" + tls.getClass().getSimpleName()
                + (msg.isEmpty() ? "" : ": " + Masking.printable(msg)) + ")";
    }

    /** The peer ended the connection inside the handshake (no alert read): EOF, reset, broken pipe. */
    private static boolean closedDuringHandshake(javax.net.ssl.SSLException tls, String lowerCaseMessage) {
        if (lowerCaseMessage.contains("terminated the handshake") || lowerCaseMessage.contains("peer shut down")
                || lowerCaseMessage.contains("connection reset") || lowerCaseMessage.contains("broken pipe")) {
            return true;
        }
        for (Throwable c = tls.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof java.io.EOFException || c instanceof java.net.SocketException) {
                return true;
            }
        }
        return false;
    }

    /** True when the exception was raised by the JDK's TLS layer (reading or writing a TLS connection). */
    static boolean insideTls(Throwable t) {
        for (StackTraceElement frame : t.getStackTrace()) {
            if (frame.getClassName().startsWith("sun.security.ssl.")) {
                return true;
            }
        }
        return false;
    }

    /**
     * True for failures worth retrying later: no connection, a timeout, or an HTTP 429/5xx answer. (For the payment
     * endpoint, only the "certainly not processed" ones are retried; the routes decide that.)
     */
    public static boolean isTransient(Throwable failure) {
        HttpOperationFailedException http = find(failure, HttpOperationFailedException.class);
        if (http != null) {
            return http.getStatusCode() == 429 || http.getStatusCode() >= 500;
        }
        // An answer that is not JSON came back whole: asking again gets the same.
        return find(failure, IOException.class) != null
                && find(failure, com.fasterxml.jackson.core.JacksonException.class) == null;
    }

    /** True when no connection was made, so the request certainly did not leave. */
    public static boolean isConnectFailure(Throwable t) {
        return t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                || t instanceof java.net.NoRouteToHostException
                || t instanceof org.apache.hc.client5.http.ConnectTimeoutException
                || t instanceof org.apache.hc.core5.http.ConnectionRequestTimeoutException;
    }

    /** The STET ErrorModel's status/error/message (or an OAuth error), bounded and printable; empty when none. */
    static String bankMessage(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.isObject()) {
                // STET ErrorModel: message (+ error); OAuth2 error answer: error_description (+ error).
                String message = text(n, "message") != null ? text(n, "message") : text(n, "error_description");
                String error = text(n, "error");
                StringBuilder sb = new StringBuilder();
                if (message != null) {
                    sb.append(message);
                    if (error != null) {
                        sb.append(" [").append(error).append(']');
                    }
                } else if (error != null) {
                    sb.append(error);
                }
                return bounded(sb.toString());
            }
        } catch (IOException | RuntimeException notJson) {
            // fall through: a short plain-text answer is still worth showing
        }
        return bounded(body.strip());
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText() : null;
    }

    private static String bounded(String text) {
        String s = Masking.ibansIn(text);
        String p = s.length() > MAX_BANK_TEXT ? s.substring(0, MAX_BANK_TEXT) + "..." : s;
        StringBuilder sb = new StringBuilder(p.length());
        for (char c : p.toCharArray()) {
            sb.append(c < 0x20 ? ' ' : c);
        }
        return sb.toString();
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t == null ? new IllegalStateException("unknown") : t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
