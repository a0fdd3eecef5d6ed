package eu.pisp.bpce.bank;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * Reads a bank's refusal to tell apart what a 401 or 403 means. BPCE answers 403 both for a token it no longer accepts
 * ("Token invalide") and for rate limiting (a STET error whose message carries TMRQ, "too many requests").
 * <ul>
 *   <li>{@link #tokenRefused}: a 401, or a 403 whose body says the token is invalid or has no STET error at all:
 *       drop the token, get a new one and resend.</li>
 *   <li>{@link #rateLimited}: a 403 TMRQ: not processed, back off as for a 429.</li>
 *   <li>any other 403: the bank refused the request (REJECTED_BY_BANK).</li>
 * </ul>
 * Used by the onWhen of the clauses in routes/error-handling.yaml, where the exception being handled is on the
 * exchange.
 */
public final class BankAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** 401, or 403 about the token (or with no STET error body). */
    public boolean tokenRefused(Exchange exchange) {
        HttpOperationFailedException http = failure(exchange);
        if (http == null) {
            return false;
        }
        if (http.getStatusCode() == 401) {
            return true;
        }
        if (http.getStatusCode() != 403) {
            return false;
        }
        String message = stetMessage(http.getResponseBody());
        if (message == null) {
            return true; // no STET error: BPCE's gateway refusing the bearer
        }
        String m = message.toLowerCase(Locale.ROOT);
        return !isTmrq(message) && (m.contains("token") || m.contains("jeton"));
    }

    /** 403 with a STET error whose message carries TMRQ. */
    public boolean rateLimited(Exchange exchange) {
        HttpOperationFailedException http = failure(exchange);
        if (http == null || http.getStatusCode() != 403) {
            return false;
        }
        String message = stetMessage(http.getResponseBody());
        return message != null && isTmrq(message);
    }

    private static boolean isTmrq(String message) {
        return message.toUpperCase(Locale.ROOT).contains("TMRQ");
    }

    private static HttpOperationFailedException failure(Exchange exchange) {
        Throwable t = exchange.getException();
        if (t == null) {
            t = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        }
        while (t != null) {
            if (t instanceof HttpOperationFailedException http) {
                return http;
            }
            t = t.getCause();
        }
        return null;
    }

    /** The STET error's message (or error) field; null when the body is not a STET error. */
    static String stetMessage(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                return null;
            }
            String message = n.path("message").asText("");
            String error = n.path("error").asText("");
            String text = (message + " " + error).strip();
            return text.isEmpty() ? null : text;
        } catch (Exception notJson) {
            return null;
        }
    }
}
