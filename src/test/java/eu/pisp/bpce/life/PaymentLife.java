package eu.pisp.bpce.life;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import org.apache.camel.Exchange;

/** Payments for the payment-life tests, and the calls of the building blocks as an ESB flow makes them. */
final class PaymentLife {

    static final ObjectMapper JSON = new ObjectMapper();

    private PaymentLife() {
    }

    /** An immediate instant transfer (the sample payment). */
    static String immediate(String paymentInformationId, String cdetab) {
        return SamplePayments.json(paymentInformationId, SamplePayments.iban(cdetab, 7));
    }

    /** A deferred SEPA transfer, executed in three days: the kind BPCE cancels. */
    static String deferred(String paymentInformationId, String cdetab) throws Exception {
        ObjectNode n = (ObjectNode) JSON.readTree(immediate(paymentInformationId, cdetab));
        ((ObjectNode) n.get("paymentTypeInformation")).remove("localInstrument");
        n.put("requestedExecutionDate", LocalDate.now(ZoneId.of("Europe/Paris")).plusDays(3) + "T08:00:00.000+01:00");
        return JSON.writeValueAsString(n);
    }

    static Exchange initiate(PispModule module, String body) {
        return module.producer().request("direct:initiate-payment", e -> e.getMessage().setBody(body));
    }

    static Exchange status(PispModule module, String cdetab, String resourceId) {
        return module.producer().request("direct:get-payment-request", e -> {
            e.getMessage().setHeader("cdetab", cdetab);
            e.getMessage().setHeader("paymentRequestResourceId", resourceId);
        });
    }

    static Exchange cancel(PispModule module, String original, String cdetab, String resourceId,
                           Map<String, Object> more) {
        return module.producer().request("direct:cancel-payment-request", e -> {
            e.getMessage().setBody(original);
            e.getMessage().setHeader("cdetab", cdetab);
            e.getMessage().setHeader("paymentRequestResourceId", resourceId);
            more.forEach(e.getMessage()::setHeader);
        });
    }

    static JsonNode body(Exchange e) throws Exception {
        return JSON.readTree(e.getMessage().getBody(String.class));
    }

    static String outcome(Exchange e) {
        String outcome = e.getMessage().getHeader("pispOutcome", String.class);
        return "FAILED".equals(outcome) ? outcome + " " + e.getMessage().getHeader("pispErrorCode") + ": "
                + e.getMessage().getHeader("pispErrorReason") : outcome;
    }
}
