package eu.pisp.bpce.outcome;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.pisp.bpce.Props;
import org.apache.camel.Body;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the accepted outcome from the bank's 201 answer. */
public final class Outcomes {

    private static final Logger LOG = LoggerFactory.getLogger(Outcomes.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The accepted outcome's body. The bank gives the consent approval URL in {@code _links.consentApproval.href};
     * the payment request's resource id is a parameter of that URL (BPCE spells it {@code paymentRequestRessourceId})
     * or the last segment of the bank's {@code Location} header (property pispLocation).
     */
    public Map<String, Object> accepted(@Body String bankAnswer, @ExchangeProperty(Props.LOCATION) String location,
                                        @ExchangeProperty(Props.PAYMENT_ID) String paymentInformationId,
                                        @ExchangeProperty(Props.CDETAB) String cdetab,
                                        @ExchangeProperty(Props.REQUEST_ID) String requestId,
                                        @ExchangeProperty(Props.ATTEMPTS) Integer attempts) {
        String consentUrl = null;
        try {
            JsonNode answer = bankAnswer == null || bankAnswer.isBlank() ? null : JSON.readTree(bankAnswer);
            JsonNode href = answer == null ? null : answer.path("_links").path("consentApproval").path("href");
            if (href != null && href.isTextual()) {
                consentUrl = href.asText();
            }
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
        out.put("requestId", requestId);
        out.put("paymentRequestResourceId", resourceId(consentUrl, location));
        out.put("consentApprovalUrl", consentUrl);
        out.put("location", location);
        out.put("attempts", attempts);
        out.put("acceptedAt", Instant.now().toString());
        return out;
    }

    static String resourceId(String consentUrl, String location) {
        if (consentUrl != null) {
            try {
                String query = URI.create(consentUrl).getRawQuery();
                if (query != null) {
                    for (String pair : query.split("&")) {
                        int eq = pair.indexOf('=');
                        String name = eq < 0 ? pair : pair.substring(0, eq);
                        if (name.equals("paymentRequestRessourceId") || name.equals("paymentRequestResourceId")) {
                            return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                        }
                    }
                }
            } catch (IllegalArgumentException notAUri) {
                // fall back to Location
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
