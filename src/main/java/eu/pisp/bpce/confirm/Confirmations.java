package eu.pisp.bpce.confirm;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.Props;
import eu.pisp.bpce.stet.StetApi;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/** The confirmation of a payment request (STET 1.6.2): its availability by version, and its body. */
public final class Confirmations {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIRMATION = "pispConfirmation";

    private final StetApi stet;

    public Confirmations(StetApi stet) {
        this.stet = stet;
    }

    /**
     * Route step: CONFIRMATION_NOT_SUPPORTED on a version without the call; INVALID_PAYMENT_REQUEST without a nonce
     * and a psuAuthenticationFactor in the body. Keeps both for {@link #body}.
     */
    public void check(Exchange exchange) {
        if (!stet.hasConfirmation()) {
            throw new PaymentFailedException(ErrorCode.CONFIRMATION_NOT_SUPPORTED, "STET " + stet.version()
                    + " (pisp.stet.version) has no confirmation call: BPCE answers 405 on it. Nothing was sent.");
        }
        JsonNode body;
        try {
            body = JSON.readTree(String.valueOf(exchange.getProperty(Props.ORIGINAL_BODY) instanceof byte[] b
                    ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : exchange.getProperty(Props.ORIGINAL_BODY)));
        } catch (Exception e) {
            body = null;
        }
        String nonce = body == null ? null : body.path("nonce").asText(null);
        String factor = body == null ? null : body.path("psuAuthenticationFactor").asText(null);
        if (nonce == null || nonce.isBlank() || factor == null || factor.isBlank()) {
            throw new PaymentFailedException(ErrorCode.INVALID_PAYMENT_REQUEST,
                    "A confirmation needs a JSON body with nonce and psuAuthenticationFactor");
        }
        Map<String, String> confirmation = new LinkedHashMap<>();
        confirmation.put("nonce", nonce);
        confirmation.put("psuAuthenticationFactor", factor);
        exchange.setProperty(CONFIRMATION, confirmation);
    }

    /** The POST body: {"nonce": ..., "psuAuthenticationFactor": ...}. */
    public String body(@ExchangeProperty(CONFIRMATION) Map<String, String> confirmation) throws Exception {
        return JSON.writeValueAsString(confirmation);
    }
}
