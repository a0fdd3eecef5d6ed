package eu.pisp.bpce.cancel;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.Props;
import eu.pisp.bpce.establishment.Masking;
import eu.pisp.bpce.stet.StetApi;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/**
 * Cancellation of a payment request (STET PUT .../payment-requests/{id}): the whole PaymentRequestResource as it was
 * accepted, with only paymentInformationStatus (RJCT on 1.4.0, CANC from 1.4.2) and statusReasonInformation (DS02)
 * changed. BPCE cancels only deferred transfers (execution D+1 or later) and standing orders, never immediate or
 * instant ones: those are refused here, before any call.
 */
public final class Cancellations {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ZoneId BANK_ZONE = ZoneId.of("Europe/Paris");
    private static final String REASON = "DS02";

    private final StetApi stet;
    private final java.time.Clock clock;

    public Cancellations(StetApi stet, java.time.Clock clock) {
        this.stet = stet;
        this.clock = clock;
    }

    /**
     * Route step: refuses a payment that cannot be cancelled, before any call: PAYMENT_ALREADY_FINAL when the caller
     * gives its last known status (header paymentInformationStatus) and it is final, PAYMENT_NOT_CANCELLABLE when it is
     * instant or immediate.
     */
    public void check(Exchange exchange) {
        String known = exchange.getMessage().getHeader("paymentInformationStatus", String.class);
        if (known != null && stet.isFinal(known.strip(), List.of())) {
            throw new PaymentFailedException(ErrorCode.PAYMENT_ALREADY_FINAL, "Payment request "
                    + exchange.getProperty(Props.RESOURCE_ID) + " is already " + Masking.printable(known)
                    + ": nothing left to cancel. Nothing was sent.");
        }
        JsonNode request = read(exchange.getProperty(Props.ORIGINAL_BODY));
        String why = notCancellable(request, LocalDate.now(clock.withZone(BANK_ZONE)));
        if (why != null) {
            throw new PaymentFailedException(ErrorCode.PAYMENT_NOT_CANCELLABLE, "Payment "
                    + exchange.getProperty(Props.PAYMENT_ID) + " cannot be cancelled: " + why
                    + " (BPCE cancels only deferred transfers and standing orders). Nothing was sent.");
        }
    }

    /** Why this payment request cannot be cancelled, or null when it can (deferred or standing order). */
    static String notCancellable(JsonNode request, LocalDate today) {
        if ("INST".equals(request.path("paymentTypeInformation").path("localInstrument").asText(null))) {
            return "it is an instant transfer";
        }
        String topDate = request.path("requestedExecutionDate").asText(null);
        boolean anyTransaction = false;
        for (JsonNode t : request.path("creditTransferTransaction")) {
            anyTransaction = true;
            if (t.hasNonNull("frequency")) {
                continue; // a standing order
            }
            String date = t.path("requestedExecutionDate").asText(topDate);
            if (!deferred(date, today)) {
                return "it is an immediate transfer (requestedExecutionDate " + (date == null ? "absent" : date)
                        + ", not after today)";
            }
        }
        return anyTransaction ? null : "it has no creditTransferTransaction";
    }

    private static boolean deferred(String date, LocalDate today) {
        if (date == null || date.isBlank()) {
            return false;
        }
        try {
            LocalDate day = date.length() <= 10 ? LocalDate.parse(date)
                    : OffsetDateTime.parse(date).atZoneSameInstant(BANK_ZONE).toLocalDate();
            return day.isAfter(today);
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** The PUT body: the request as accepted, with the cancellation status and reason of the configured version. */
    public String body(@ExchangeProperty(Props.ORIGINAL_BODY) Object original,
                       @ExchangeProperty(Props.RESOURCE_ID) String resourceId) throws Exception {
        ObjectNode request = (ObjectNode) read(original);
        request.put("resourceId", resourceId);
        request.put("paymentInformationStatus", stet.cancelStatus());
        request.put("statusReasonInformation", REASON);
        return JSON.writeValueAsString(request);
    }

    /** The outcome of a cancellation the bank took: the customer must now approve it at the consent link. */
    public Map<String, Object> requested(@Body String bankAnswer, @ExchangeProperty(Props.RESOURCE_ID) String resourceId,
                                         @ExchangeProperty(Props.CDETAB) String cdetab,
                                         @ExchangeProperty(Props.PAYMENT_ID) String paymentInformationId,
                                         @ExchangeProperty(Props.REQUEST_ID) String requestId) {
        String consent = null;
        try {
            consent = bankAnswer == null ? null : eu.pisp.bpce.outcome.Outcomes.consentApprovalHref(bankAnswer);
        } catch (Exception notJson) {
            // the outcome says there is no link
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("paymentRequestResourceId", resourceId);
        out.put("cdetab", cdetab);
        out.put("paymentInformationId", paymentInformationId);
        out.put("requestId", requestId);
        out.put("cancellation", "REQUESTED");
        out.put("cancellationStatus", stet.cancelStatus());
        out.put("statusReason", REASON);
        out.put("consentApprovalUrl", consent);
        out.put("requestedAt", Instant.now(clock).toString());
        return out;
    }

    private static JsonNode read(Object body) {
        try {
            JsonNode n = body instanceof byte[] b ? JSON.readTree(b) : JSON.readTree(String.valueOf(body));
            if (n == null || !n.isObject()) {
                throw new PaymentFailedException(ErrorCode.INVALID_PAYMENT_REQUEST,
                        "A cancellation needs the PaymentRequestResource as accepted (a JSON object) as its body");
            }
            return n;
        } catch (java.io.IOException e) {
            throw new PaymentFailedException(ErrorCode.INVALID_PAYMENT_REQUEST,
                    "A cancellation needs the PaymentRequestResource as accepted (JSON) as its body: "
                            + e.getClass().getSimpleName());
        }
    }
}
