package eu.pisp.bpce.life;

import static eu.pisp.bpce.life.PaymentLife.body;
import static eu.pisp.bpce.life.PaymentLife.cancel;
import static eu.pisp.bpce.life.PaymentLife.deferred;
import static eu.pisp.bpce.life.PaymentLife.immediate;
import static eu.pisp.bpce.life.PaymentLife.initiate;
import static eu.pisp.bpce.life.PaymentLife.outcome;
import static eu.pisp.bpce.life.PaymentLife.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import eu.pisp.bpce.sim.BankSimulator.Fault;
import eu.pisp.bpce.support.PispModule;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Status, cancellation and confirmation as building blocks an ESB flow calls (direct:), on the same token machinery
 * as the payment: real module, real broker, the bank simulator over HTTP.
 */
class PaymentStatusAndCancellationTest {

    @RegisterExtension
    static final PispModule module = new PispModule();

    private static String accepted(String body) throws Exception {
        Exchange e = initiate(module, body);
        assertEquals("ACCEPTED", outcome(e));
        return body(e).get("paymentRequestResourceId").asText();
    }

    @Test
    void statusIsReadFromTheAcceptedOutcomeAsBody() throws Exception {
        Exchange paid = initiate(module, immediate("STATUS-BODY", "13807"));
        String acceptedOutcome = paid.getMessage().getBody(String.class);

        Exchange status = module.producer().request("direct:get-payment-request",
                e -> e.getMessage().setBody(acceptedOutcome));

        assertEquals("STATUS", outcome(status));
        JsonNode s = body(status);
        assertEquals("RCVD", s.get("status").asText());
        assertFalse(s.get("final").asBoolean());
        assertEquals("STATUS-BODY", s.get("paymentInformationId").asText());
        assertEquals("13807", s.get("cdetab").asText());
        assertEquals("PDNG", s.get("transactions").get(0).get("status").asText(), s.toString());
        assertEquals("RCVD", status.getMessage().getHeader("pispPaymentStatus"));
    }

    @Test
    void statusReadWithARevokedTokenRefreshesItOnceAndSucceeds() throws Exception {
        String id = accepted(immediate("STATUS-REVOKED", "13807"));
        module.bank().revokeAllTokens();

        Exchange status = status(module, "13807", id);

        assertEquals("STATUS", outcome(status));
        assertEquals(2, module.bank().tokenRequests("13807"), "the first token, then one new one after the 403");
        assertEquals(2, module.bank().statusReads("13807"), "the refused read, then the resend");
    }

    @Test
    void theStatusOfAnExecutedPaymentIsFinal() throws Exception {
        String id = accepted(immediate("STATUS-FINAL", "17515"));
        module.bank().approve(id);
        module.bank().execute(id);

        JsonNode s = body(status(module, "17515", id));

        assertEquals("ACSC", s.get("status").asText());
        assertTrue(s.get("final").asBoolean());
    }

    @Test
    void aRejectedPaymentCarriesItsReason() throws Exception {
        String id = accepted(immediate("STATUS-RJCT", "13807"));
        module.bank().reject(id, "AM04");

        JsonNode s = body(status(module, "13807", id));

        assertEquals("RJCT", s.get("status").asText());
        assertEquals("AM04", s.get("statusReason").asText());
        assertTrue(s.get("final").asBoolean());
    }

    @Test
    void anUnknownPaymentRequestIsNotFound() {
        Exchange status = status(module, "13807", "no-such-payment-request");

        assertEquals("PAYMENT_REQUEST_NOT_FOUND", status.getMessage().getHeader("pispErrorCode"));
        assertEquals(1, module.bank().statusReads("13807"), "a 404 is not read again");
    }

    @Test
    void statusReadsAnswered429BackOffAndReadAgain() throws Exception {
        String id = accepted(immediate("STATUS-429", "13807"));
        module.bank().failStatusReads("13807", 1, Fault.retryAfter(429, 0));

        Exchange status = status(module, "13807", id);

        assertEquals("STATUS", outcome(status));
        assertEquals(2, module.bank().statusReads("13807"));
    }

    @Test
    void aGetAnswered500IsSafeToReadAgainUnlikeAPost() throws Exception {
        String id = accepted(immediate("STATUS-500", "17515"));
        module.bank().failStatusReads("17515", 1, Fault.status(500, "Erreur interne"));

        Exchange status = status(module, "17515", id);

        assertEquals("STATUS", outcome(status));
        assertEquals(2, module.bank().statusReads("17515"));
    }

    @Test
    void statusReadsThatKeepFailingEndBankUnavailableAfterBoundedRetries() throws Exception {
        String id = accepted(immediate("STATUS-DOWN", "13807"));
        module.bank().failStatusReads("13807", 100, Fault.status(502, "Bad gateway"));

        Exchange status = status(module, "13807", id);

        assertEquals("BANK_UNAVAILABLE", status.getMessage().getHeader("pispErrorCode"));
        assertEquals(3, module.bank().statusReads("13807"), "the read and pisp.payment.retry.max-retries (2) more");
    }

    @Test
    void rateLimiting403TmrqOnAPaymentBacksOffAndIsNoTokenRefresh() {
        module.bank().failPayments("13807", 1, Fault.rateLimited());

        Exchange paid = initiate(module, immediate("TMRQ-1", "13807"));

        assertEquals("ACCEPTED", outcome(paid));
        assertEquals(1, module.bank().tokenRequests("13807"), "a 403 TMRQ keeps the token");
        assertEquals(2, module.paymentsReceived("TMRQ-1").size());
    }

    @Test
    void rateLimitingThatLastsEndsBankUnavailableSafeToResubmit() {
        module.bank().failPayments("17515", 100, Fault.rateLimited());

        Exchange paid = initiate(module, immediate("TMRQ-LONG", "17515"));

        assertEquals("BANK_UNAVAILABLE", paid.getMessage().getHeader("pispErrorCode"));
        assertTrue(paid.getMessage().getHeader("pispErrorReason", String.class).contains("TMRQ"),
                () -> paid.getMessage().getHeader("pispErrorReason", String.class));
        assertEquals(1, module.bank().tokenRequests("17515"));
    }

    @Test
    void anyOther403IsARefusalNotATokenProblem() {
        module.bank().failPayments("13807", 1, Fault.status(403, "Compte débiteur non autorisé"));

        Exchange paid = initiate(module, immediate("FORBIDDEN-1", "13807"));

        assertEquals("REJECTED_BY_BANK", paid.getMessage().getHeader("pispErrorCode"));
        assertEquals(1, module.bank().tokenRequests("13807"));
        assertEquals(1, module.paymentsReceived("FORBIDDEN-1").size(), "not resent");
    }

    @Test
    void aDeferredPaymentIsCancelledAndTheCustomerGetsTheConsentLink() throws Exception {
        String original = deferred("CANCEL-DEFERRED", "13807");
        String id = accepted(original);

        Exchange cancelled = cancel(module, original, "13807", id, Map.of());

        assertEquals("CANCELLATION_REQUESTED", outcome(cancelled));
        JsonNode c = body(cancelled);
        assertNotNull(c.get("consentApprovalUrl").textValue(), c.toString());
        assertEquals("RJCT", c.get("cancellationStatus").asText(), "STET 1.4.0 cancels with RJCT / DS02");
        assertEquals(1, module.bank().acceptedCancellations());
        module.bank().approveCancellation(id);
        JsonNode s = body(status(module, "13807", id));
        assertEquals("RJCT", s.get("status").asText());
        assertEquals("DS02", s.get("statusReason").asText());
    }

    @Test
    void anImmediatePaymentIsRefusedBeforeAnyCall() throws Exception {
        String original = immediate("CANCEL-IMMEDIATE", "13807");
        String id = accepted(original);
        int calls = module.bank().receivedCount();

        Exchange cancelled = cancel(module, original, "13807", id, Map.of());

        assertEquals("PAYMENT_NOT_CANCELLABLE", cancelled.getMessage().getHeader("pispErrorCode"));
        assertEquals(calls, module.bank().receivedCount(), "no call at all");
        assertEquals(original, cancelled.getMessage().getBody(String.class), "the request as received comes back");
    }

    @Test
    void aPaymentKnownToBeFinalIsRefusedBeforeAnyCall() throws Exception {
        String original = deferred("CANCEL-FINAL", "17515");
        String id = accepted(original);
        int calls = module.bank().receivedCount();

        Exchange cancelled = cancel(module, original, "17515", id, Map.of("paymentInformationStatus", "ACSC"));

        assertEquals("PAYMENT_ALREADY_FINAL", cancelled.getMessage().getHeader("pispErrorCode"));
        assertEquals(calls, module.bank().receivedCount());
    }

    @Test
    void confirmationIsRefusedOnStet140WithoutAnyCall() {
        int calls = module.bank().receivedCount();

        Exchange confirmed = module.producer().request("direct:confirm-payment-request", e -> {
            e.getMessage().setHeader("cdetab", "13807");
            e.getMessage().setHeader("paymentRequestResourceId", "abc");
            e.getMessage().setBody("{\"nonce\":\"n\",\"psuAuthenticationFactor\":\"f\"}");
        });

        assertEquals("CONFIRMATION_NOT_SUPPORTED", confirmed.getMessage().getHeader("pispErrorCode"));
        assertEquals(calls, module.bank().receivedCount());
    }

    /** An ESB flow composes the blocks with plain to: steps, and goes on after a failed one. */
    @Test
    void aFlowCarriesOnAfterABlockFails() throws Exception {
        module.context().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:test-compose").routeId("test-compose")
                        .to("direct:get-payment-request")
                        .setHeader("afterBlock", constant("reached"));
            }
        });

        Exchange e = module.producer().request("direct:test-compose", x -> {
            x.getMessage().setHeader("cdetab", "13807");
            x.getMessage().setHeader("paymentRequestResourceId", "unknown-id");
        });

        assertEquals("PAYMENT_REQUEST_NOT_FOUND", e.getMessage().getHeader("pispErrorCode"));
        assertEquals("reached", e.getMessage().getHeader("afterBlock"));
    }

    /** Another Camel application's flow uses a block by its Kamelet name only. */
    @Test
    void aFlowThatOnlyNamesTheKameletReadsTheStatus() throws Exception {
        String id = accepted(immediate("KAMELET-1", "17515"));
        module.context().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:test-kamelet").routeId("test-kamelet")
                        .to("kamelet:pisp-get-payment-request-action?cdetab=17515");
            }
        });

        Exchange e = module.producer().request("direct:test-kamelet",
                x -> x.getMessage().setHeader("paymentRequestResourceId", id));

        assertEquals("STATUS", outcome(e));
        assertEquals("RCVD", body(e).get("status").asText());
        assertEquals(1, module.bank().statusReads("17515"));
    }

    /**
     * Found by the tracking benchmark: with the payment request's id in the endpoint URI, every status read made a new
     * HTTP endpoint with its own idle connection, and after about 200 reads payments failed OUTCOME_UNKNOWN
     * (NoHttpResponseException on connections the bank side had closed).
     */
    @Test
    void statusReadsBetweenPaymentsMakeNoNewEndpointsAndEveryPaymentIsAccepted() throws Exception {
        for (int i = 0; i < 250; i++) {
            Exchange paid = initiate(module, immediate("READS-BETWEEN-" + i, "13807"));
            assertEquals("ACCEPTED", outcome(paid), "payment " + i);
            String acceptedOutcome = paid.getMessage().getBody(String.class);
            Exchange status = module.producer().request("direct:get-payment-request",
                    e -> e.getMessage().setBody(acceptedOutcome));
            assertEquals("STATUS", outcome(status), "status " + i);
        }
        long httpEndpoints = module.context().getEndpoints().stream()
                .filter(e -> e.getEndpointUri().startsWith("http")).count();
        assertTrue(httpEndpoints <= 6, "HTTP endpoints: " + httpEndpoints);
    }
}
