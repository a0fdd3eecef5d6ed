package eu.pisp.bpce.status;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.Props;
import eu.pisp.bpce.establishment.Masking;
import eu.pisp.bpce.stet.StetApi;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status of a payment request, read back from the bank (GET .../payment-requests/{id}).
 * <ul>
 *   <li>{@link #identify}: which payment request, from the headers {@code cdetab} + {@code paymentRequestResourceId}
 *       or from an accepted outcome given as the body.</li>
 *   <li>{@link #outcome}: the status outcome built from the bank's answer.</li>
 * </ul>
 */
public final class PaymentStatuses {

    private static final Logger LOG = LoggerFactory.getLogger(PaymentStatuses.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A resource id goes into the URL path: only characters that cannot steer it elsewhere. */
    private static final Pattern RESOURCE_ID = Pattern.compile("[A-Za-z0-9._~-]{1,128}");

    /** The STET status read, and whether it is final (properties, for headers and logs). */
    public static final String STATUS = "pispPaymentStatus";
    public static final String FINAL = "pispPaymentFinal";

    private final StetApi stet;

    public StetApi stet() {
        return stet;
    }

    public PaymentStatuses(StetApi stet) {
        this.stet = stet;
    }

    /**
     * Route step: sets pispRequestedCdetab, pispPaymentRequestResourceId (and pispPaymentInformationId when known) from
     * the headers, or else from the body when it is an accepted outcome; fails with INVALID_PAYMENT_REQUEST.
     */
    public void identify(Exchange exchange) {
        String cdetab = exchange.getMessage().getHeader("cdetab", String.class);
        String resourceId = exchange.getMessage().getHeader("paymentRequestResourceId", String.class);
        String paymentInformationId = exchange.getMessage().getHeader("pispPaymentInformationId", String.class);
        if (resourceId == null || resourceId.isBlank()) {
            JsonNode body = json(exchange.getMessage().getBody(String.class));
            if (body != null) {
                resourceId = text(body, "paymentRequestResourceId");
                cdetab = cdetab != null ? cdetab : text(body, "cdetab");
                paymentInformationId = paymentInformationId != null ? paymentInformationId
                        : text(body, "paymentInformationId");
            }
        }
        if (resourceId == null || resourceId.isBlank()) {
            throw new PaymentFailedException(ErrorCode.INVALID_PAYMENT_REQUEST, "No paymentRequestResourceId: give the "
                    + "headers cdetab and paymentRequestResourceId, or an accepted outcome as the body");
        }
        if (!RESOURCE_ID.matcher(resourceId).matches()) {
            throw new PaymentFailedException(ErrorCode.INVALID_PAYMENT_REQUEST, "paymentRequestResourceId '"
                    + Masking.printable(resourceId) + "' is not a valid id (letters, digits, . _ ~ -, at most 128)");
        }
        if (cdetab == null || cdetab.isBlank()) {
            throw new PaymentFailedException(ErrorCode.UNKNOWN_ESTABLISHMENT,
                    "No establishment: give the header cdetab (or an accepted outcome with its cdetab)");
        }
        exchange.setProperty(Props.REQUESTED_CDETAB, cdetab.strip());
        exchange.setProperty(Props.RESOURCE_ID, resourceId);
        if (paymentInformationId != null) {
            exchange.setProperty(Props.PAYMENT_ID, paymentInformationId);
        }
    }

    /** The path of one payment request below the establishment's base URL. */
    public String path(@ExchangeProperty(Props.RESOURCE_ID) String resourceId) {
        return stet.paymentRequestsPath() + "/" + resourceId;
    }

    /**
     * The status outcome: paymentRequestResourceId, cdetab, paymentInformationId, status (the STET code),
     * statusReason, final, transactions (each with its paymentId and status), stetVersion and checkedAt.
     */
    public Map<String, Object> outcome(@Body String bankAnswer, @ExchangeProperty(Props.RESOURCE_ID) String resourceId,
                                       @ExchangeProperty(Props.CDETAB) String cdetab,
                                       @ExchangeProperty(Props.PAYMENT_ID) String knownPaymentInformationId,
                                       Exchange exchange) {
        JsonNode answer = json(bankAnswer);
        JsonNode request = answer == null ? null : answer.path("paymentRequest");
        if (request == null || !request.isObject()) {
            throw new IllegalStateException("The status answer of establishment " + cdetab
                    + " has no paymentRequest object");
        }
        String status = text(request, "paymentInformationStatus");
        List<String> transactionStatuses = new ArrayList<>();
        List<Map<String, Object>> transactions = new ArrayList<>();
        for (JsonNode t : request.path("creditTransferTransaction")) {
            Map<String, Object> tx = new LinkedHashMap<>();
            JsonNode paymentId = t.path("paymentId");
            tx.put("instructionId", text(paymentId, "instructionId"));
            tx.put("endToEndId", text(paymentId, "endToEndId"));
            String ts = text(t, "transactionStatus");
            tx.put("status", ts);
            tx.put("statusReason", reason(t.path("statusReasonInformation")));
            transactions.add(tx);
            if (ts != null) {
                transactionStatuses.add(ts);
            }
        }
        if (status == null || !stet.isKnownStatus(status)) {
            LOG.warn("Establishment {} gave payment request {} the status '{}', unknown to STET {}", cdetab, resourceId,
                    Masking.printable(status), stet.version());
        }
        String paymentInformationId = text(request, "paymentInformationId");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("paymentRequestResourceId", resourceId);
        out.put("cdetab", cdetab);
        out.put("paymentInformationId", paymentInformationId != null ? paymentInformationId : knownPaymentInformationId);
        out.put("status", status);
        out.put("statusReason", reason(request.path("statusReasonInformation")));
        boolean isFinal = status != null && stet.isFinal(status, transactionStatuses);
        out.put("final", isFinal);
        exchange.setProperty(STATUS, status);
        exchange.setProperty(FINAL, isFinal);
        out.put("transactions", transactions);
        out.put("stetVersion", stet.version());
        out.put("checkedAt", Instant.now().toString());
        return out;
    }

    /** statusReasonInformation: a code on 1.4.0, possibly a list or an object on later versions. */
    private static String reason(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) {
            return null;
        }
        if (n.isArray()) {
            List<String> codes = new ArrayList<>();
            n.forEach(c -> codes.add(c.isTextual() ? c.asText() : c.toString()));
            return codes.isEmpty() ? null : String.join(",", codes);
        }
        return n.isTextual() ? n.asText() : n.toString();
    }

    private static JsonNode json(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(s);
        } catch (Exception notJson) {
            return null;
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
