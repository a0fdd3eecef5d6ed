package eu.pisp.bpce.outcome;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.pisp.bpce.Props;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the accepted outcome from the bank's 201 answer. */
public final class Outcomes {

    private static final Logger LOG = LoggerFactory.getLogger(Outcomes.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The accepted outcome's body, as JSON text; its resource id also goes to property pispAcceptedResourceId. The bank
     * gives the consent approval URL in {@code _links.consentApproval.href}; the payment request's resource id is a
     * parameter of that URL (BPCE spells it {@code paymentRequestRessourceId}) or the last segment of the bank's
     * {@code Location} header (property pispLocation).
     * (Takes the exchange: six bound parameters cost a bean step more than the rest of this method. Writes the JSON
     * itself: Camel's marshal step looks the route up in the context, under a lock, for every message, to see whether
     * stream caching is on.)
     */
    public String accepted(Exchange exchange) {
        String bankAnswer = exchange.getMessage().getBody(String.class);
        String location = exchange.getProperty(Props.LOCATION, String.class);
        String paymentInformationId = exchange.getProperty(Props.PAYMENT_ID, String.class);
        String cdetab = exchange.getProperty(Props.CDETAB, String.class);
        String consentUrl = null;
        try {
            consentUrl = bankAnswer == null || bankAnswer.isBlank() ? null : consentApprovalHref(bankAnswer);
        } catch (Exception e) {
            LOG.warn("Payment {} was accepted by establishment {} but its answer is not readable JSON ({})",
                    paymentInformationId, cdetab, e.getClass().getSimpleName());
        }
        if (consentUrl == null) {
            LOG.warn("Payment {} was accepted by establishment {} without a consentApproval link", paymentInformationId,
                    cdetab);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("paymentInformationId", paymentInformationId);
        out.put("cdetab", cdetab);
        out.put("requestId", exchange.getProperty(Props.REQUEST_ID, String.class));
        String resourceId = resourceId(consentUrl, location);
        exchange.setProperty(Props.ACCEPTED_RESOURCE_ID, resourceId);
        out.put("paymentRequestResourceId", resourceId);
        out.put("consentApprovalUrl", consentUrl);
        out.put("location", location);
        out.put("attempts", exchange.getProperty(Props.ATTEMPTS, Integer.class));
        out.put("acceptedAt", Instant.now().toString());
        try {
            return JSON.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            // (texts and one number: cannot happen)
            throw new IllegalStateException("the accepted outcome could not be written as JSON", e);
        }
    }

    /**
     * {@code _links.consentApproval.href} of a bank's answer (a payment request's, a cancellation's) when it is a
     * string, else null; malformed JSON fails.
     */
    public static String consentApprovalHref(String answer) throws java.io.IOException {
        // Read as a stream, not as a tree: building the whole answer's tree was 3 % of a payment's CPU on the TCP path
        // (JFR, 2026-12-02). Same answers as readTree(...).path(...): the first JSON value only, the last of repeated
        // names wins, anything malformed before the end of that value fails.
        try (JsonParser parser = JSON.getFactory().createParser(answer)) {
            return textAt(parser, parser.nextToken(), 0);
        }
    }

    private static final String[] CONSENT_LINK_PATH = {"_links", "consentApproval", "href"};

    /**
     * The text at {@code CONSENT_LINK_PATH[depth..]} below the value the parser is on ({@code at}), or null. Below the
     * last name only a string counts; above it only an object, whose other members are skipped. Leaves the parser on
     * the value's end, except on a leaf that is not a string (the caller skips it).
     */
    private static String textAt(JsonParser parser, JsonToken at, int depth) throws java.io.IOException {
        if (depth == CONSENT_LINK_PATH.length) {
            return at == JsonToken.VALUE_STRING ? parser.getText() : null;
        }
        if (at != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return null;
        }
        String found = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            boolean wanted = CONSENT_LINK_PATH[depth].equals(parser.currentName());
            JsonToken value = parser.nextToken();
            if (wanted) {
                found = textAt(parser, value, depth + 1);
            }
            parser.skipChildren(); // no-op on a scalar or on a value already read to its end
        }
        return found;
    }

    static String resourceId(String consentUrl, String location) {
        // The query read by hand, not through java.net.URI: parsing the whole link was 3 % of a payment's CPU (JFR).
        int q = consentUrl == null ? -1 : consentUrl.indexOf('?');
        if (q >= 0) {
            int end = consentUrl.indexOf('#', q);
            String query = consentUrl.substring(q + 1, end < 0 ? consentUrl.length() : end);
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                if (eq > 0 && (name.equals("paymentRequestRessourceId") || name.equals("paymentRequestResourceId"))) {
                    try {
                        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException badEscape) {
                        break; // fall back to Location
                    }
                }
            }
        }
        if (location != null && !location.isBlank()) {
            String path = location.replaceAll("[?#].*$", "");
            path = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
            return path.substring(path.lastIndexOf('/') + 1);
        }
        return null;
    }
}
