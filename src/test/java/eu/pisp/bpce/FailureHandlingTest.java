package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.sim.BankSimulator.Fault;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What each bank-side fault gets: retried when certainly not processed, never resent when maybe processed. */
class FailureHandlingTest {

    @RegisterExtension
    static final PispModule module = new PispModule()
            .with("pisp.payment.response-timeout-ms", "700")
            .with("pisp.token.retry.max-retries", "3")
            .with("pisp.payment.retry.max-retries", "2")
            .with("pisp.payment.retry.max-retry-after-ms", "3000");

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void tokenEndpointOutageIsRetriedWithBackOffThenTokenUnavailable() throws Exception {
        module.bank().failTokenRequests("13807", 100, Fault.status(503, "Service indisponible"));

        Outcome failed = single(send("TOKEN-DOWN", "13807"), "TOKEN_UNAVAILABLE");

        assertEquals(4, module.bank().tokenRequests("13807"), "first try and 3 retries");
        assertTrue(failed.header("pispErrorReason").contains("token endpoint of establishment 13807 answered HTTP 503"),
                failed.header("pispErrorReason"));
        assertEquals(0, module.paymentsReceived("TOKEN-DOWN").size(), "nothing sent to the payment endpoint");
    }

    @Test
    void anUnreadableTokenAnswerIsNotRepeatedInTheReason() throws Exception {
        module.bank().failTokenRequests("13807", 10,
                Fault.rawAnswer(200, "{\"access_token\":\"leaked-token-4242\" \"token_type\":\"Bearer\"}"));

        Outcome failed = single(send("TOKEN-GARBLED", "13807"), "TOKEN_UNAVAILABLE");

        String reason = failed.header("pispErrorReason");
        assertTrue(reason.contains("not the expected JSON"), reason);
        assertTrue(!reason.contains("leaked-token-4242") && !reason.contains("access_token"), reason);
        assertEquals(1, module.bank().tokenRequests("13807"), "an unreadable answer is not retried");
    }

    @Test
    void tokenEndpointThatRecoversWithinTheRetriesLetsThePaymentThrough() throws Exception {
        module.bank().failTokenRequests("13807", 2, Fault.status(502, "Bad Gateway"));

        send("TOKEN-FLAKY", "13807");
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> PaymentFlowTest.reasons(outcomes.failed()));
        assertEquals(3, module.bank().tokenRequests("13807"));
    }

    @Test
    void tokenEndpointRefusingTheTppIsNotRetried() throws Exception {
        module.bank().failTokenRequests("13807", 10, Fault.status(401, "Certificat révoqué"));

        Outcome failed = single(send("TOKEN-REFUSED", "13807"), "TOKEN_UNAVAILABLE");

        assertEquals(1, module.bank().tokenRequests("13807"));
        assertTrue(failed.header("pispErrorReason").contains("HTTP 401: Certificat révoqué"), failed.header("pispErrorReason"));
    }

    @Test
    void tokenEndpointFailingDuringA403RefreshIsRetriedLikeAnyTokenFailure() throws Exception {
        send("REFRESH-WARM", "13807");
        assertEquals(1, module.awaitOutcomes(1, WAIT).accepted().size());
        module.bank().revokeAllTokens();
        module.bank().failTokenRequests("13807", 2, Fault.status(503, "Service indisponible"));

        send("REFRESH-FLAKY", "13807");
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> PaymentFlowTest.reasons(outcomes.failed()));
        assertEquals(2, module.paymentsReceived("REFRESH-FLAKY").size(), "the refused send and one resend");
        assertEquals(4, module.bank().tokenRequests("13807"), "first token, 2 failures, the new token");

        module.bank().revokeAllTokens();
        module.bank().failTokenRequests("13807", 100, Fault.status(503, "Service indisponible"));
        Outcome failed = single(send("REFRESH-DOWN", "13807"), "TOKEN_UNAVAILABLE");
        assertEquals(1, module.paymentsReceived("REFRESH-DOWN").size(), "nothing resent without a token");
        assertTrue(failed.header("pispErrorReason").contains("HTTP 503"), failed.header("pispErrorReason"));
    }

    @Test
    void paymentAnswered503IsResentAndAccepted() throws Exception {
        module.bank().failPayments("13807", 1, Fault.status(503, "Service indisponible"));

        send("PAY-503-ONCE", "13807");
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> PaymentFlowTest.reasons(outcomes.failed()));
        assertEquals("2", outcomes.accepted().get(0).header("pispAttempts"));
        assertEquals(2, module.paymentsReceived("PAY-503-ONCE").size());
        assertEquals(1, module.bank().processedPayments().get("13807/PAY-503-ONCE"));
    }

    @Test
    void paymentAnswered429WaitsWhatRetryAfterAsks() throws Exception {
        module.bank().failPayments("13807", 1, Fault.retryAfter(429, 1));

        send("PAY-429", "13807");
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> PaymentFlowTest.reasons(outcomes.failed()));
        List<BankSimulator.Received> sends = module.paymentsReceived("PAY-429");
        assertEquals(2, sends.size());
        Duration waited = Duration.between(sends.get(0).at(), sends.get(1).at());
        assertTrue(waited.toMillis() >= 950, "waited " + waited.toMillis() + " ms for Retry-After: 1");
    }

    @Test
    void retryAfterLongerThanTheCapEndsTheRetriesAtOnce() throws Exception {
        module.bank().failPayments("13807", 1, Fault.retryAfter(429, 3600));

        Outcome failed = single(send("PAY-429-LONG", "13807"), "BANK_UNAVAILABLE");

        assertEquals(1, module.paymentsReceived("PAY-429-LONG").size());
        assertTrue(failed.header("pispErrorReason").contains("retry after 3600 s"), failed.header("pispErrorReason"));
    }

    @Test
    void bankStayingUnavailableEndsBankUnavailableAfterBoundedRetries() throws Exception {
        module.bank().failPayments("13807", 100, Fault.status(503, "Service indisponible"));

        Outcome failed = single(send("PAY-503-ALWAYS", "13807"), "BANK_UNAVAILABLE");

        assertEquals(3, module.paymentsReceived("PAY-503-ALWAYS").size(), "first send and 2 retries");
        assertEquals("3", failed.header("pispAttempts"));
        assertTrue(failed.header("pispErrorReason").contains("HTTP 503: Service indisponible"));
    }

    @Test
    void readTimeoutAfterSendingIsOutcomeUnknownAndNeverResent() throws Exception {
        module.bank().failPayments("13807", 1, Fault.slowAnswer(2000));

        Outcome failed = single(send("PAY-TIMEOUT", "13807"), "OUTCOME_UNKNOWN");

        assertEquals(1, module.paymentsReceived("PAY-TIMEOUT").size(), "never resent");
        assertEquals(1, module.bank().processedPayments().get("13807/PAY-TIMEOUT"), "the bank did process it");
        String reason = failed.header("pispErrorReason");
        assertTrue(reason.contains("gave no answer") && reason.contains("Timeout"), reason);
        assertEquals(module.paymentsReceived("PAY-TIMEOUT").get(0).header("X-Request-ID"), failed.header("pispRequestId"),
                "the operator gets the X-Request-ID to reconcile with");
    }

    @Test
    void connectionClosedWithoutAnswerIsOutcomeUnknown() throws Exception {
        module.bank().failPayments("13807", 1, Fault.noAnswer());

        single(send("PAY-DROPPED", "13807"), "OUTCOME_UNKNOWN");

        assertEquals(1, module.paymentsReceived("PAY-DROPPED").size(), "never resent");
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 504})
    void serverErrorsMayHaveBeenProcessedSoTheyAreOutcomeUnknown(int status) throws Exception {
        module.bank().failPayments("13807", 1, Fault.status(status, "Erreur technique"));

        Outcome failed = single(send("PAY-" + status, "13807"), "OUTCOME_UNKNOWN");

        assertEquals(1, module.paymentsReceived("PAY-" + status).size(), "never resent");
        assertTrue(failed.header("pispErrorReason").contains("HTTP " + status + ": Erreur technique"));
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 404, 405, 406, 409, 415, 422})
    void bankRefusalsAreRejectedAtOnceWithTheBankMessage(int status) throws Exception {
        module.bank().failPayments("13807", 1, Fault.status(status, "Montant invalide (" + status + ")"));

        Outcome failed = single(send("PAY-REFUSED-" + status, "13807"), "REJECTED_BY_BANK");

        assertEquals(1, module.paymentsReceived("PAY-REFUSED-" + status).size());
        assertTrue(failed.header("pispErrorReason").contains("HTTP " + status + ": Montant invalide (" + status + ")"),
                failed.header("pispErrorReason"));
    }

    private static String send(String paymentInformationId, String cdetab) {
        String body = SamplePayments.json(paymentInformationId, SamplePayments.iban(cdetab, 1));
        module.send(body, Map.of());
        return body;
    }

    /** Waits for one failed outcome with this code, carrying the original body. */
    private static Outcome single(String body, String code) throws Exception {
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);
        assertEquals(1, outcomes.failed().size(), "expected a failed outcome, got " + outcomes);
        Outcome failed = outcomes.failed().get(0);
        assertEquals(code, failed.header("pispErrorCode"), failed.header("pispErrorReason"));
        assertEquals(body, failed.body(), "the failed outcome carries the original body");
        return failed;
    }

}
