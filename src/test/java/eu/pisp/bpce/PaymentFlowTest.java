package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import org.apache.camel.Exchange;
import eu.pisp.bpce.support.PispModule.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The route module end to end: queue in, token per establishment, dynamic send, 403 refresh, outcome out. */
class PaymentFlowTest {

    @RegisterExtension
    static final PispModule module = new PispModule();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void manyPaymentsForTwoEstablishmentsAreAcceptedWithOneTokenEach() throws Exception {
        int perEstablishment = 100;
        for (int i = 0; i < perEstablishment; i++) {
            queue("MANY-13807-" + i, "13807", i, null);
            queue("MANY-17515-" + i, "17515", i, null);
        }

        PispModule.Outcomes outcomes = module.awaitOutcomes(2 * perEstablishment, WAIT);

        assertEquals(2 * perEstablishment, outcomes.accepted().size(), () -> "failed: " + reasons(outcomes.failed()));
        assertEquals(1, module.bank().tokenRequests("13807"));
        assertEquals(1, module.bank().tokenRequests("17515"));
        assertEquals(2 * perEstablishment, module.bank().processedPaymentCount());
        assertTrue(module.bank().processedPayments().values().stream().allMatch(n -> n == 1));
        for (Outcome e : outcomes.accepted()) {
            JsonNode body = JSON.readTree(e.body());
            String cdetab = body.get("cdetab").asText();
            assertTrue(body.get("paymentInformationId").asText().startsWith("MANY-" + cdetab + "-"));
            assertEquals(cdetab, e.header("cdetab"));
            assertEquals(body.get("requestId").asText(), e.header("pispRequestId"));
            assertTrue(body.get("consentApprovalUrl").asText()
                    .contains("paymentRequestRessourceId=" + body.get("paymentRequestResourceId").asText()));
            assertTrue(body.get("location").asText().endsWith("/" + body.get("paymentRequestResourceId").asText()));
            assertEquals(1, body.get("attempts").asInt());
            assertNotNull(body.get("acceptedAt").asText());
        }
        Set<String> requestIds = module.bank().received().stream()
                .filter(r -> r.path().endsWith("/payment-requests"))
                .map(r -> r.header("X-Request-ID")).collect(Collectors.toSet());
        assertEquals(2 * perEstablishment, requestIds.size(), "one X-Request-ID per message");
    }

    @Test
    void revokedTokensAreReplacedOncePerEstablishmentAndEveryPaymentIsAccepted() throws Exception {
        queue("WARM-13807", "13807", 1, null);
        queue("WARM-17515", "17515", 1, null);
        assertEquals(2, module.awaitOutcomes(2, WAIT).accepted().size());

        module.bank().revokeAllTokens();
        int perEstablishment = 60;
        for (int i = 0; i < perEstablishment; i++) {
            queue("REVOKED-13807-" + i, "13807", i, null);
            queue("REVOKED-17515-" + i, "17515", i, null);
        }
        PispModule.Outcomes outcomes = module.awaitOutcomes(2 * perEstablishment, WAIT);

        assertEquals(2 * perEstablishment, outcomes.accepted().size(), () -> "failed: " + reasons(outcomes.failed()));
        assertEquals(2, module.bank().tokenRequests("13807"), "the first token and exactly one new one");
        assertEquals(2, module.bank().tokenRequests("17515"), "the first token and exactly one new one");
        assertTrue(module.bank().processedPayments().values().stream().allMatch(n -> n == 1));
        long resent = outcomes.accepted().stream()
                .filter(e -> "2".equals(e.header("pispAttempts"))).count();
        assertTrue(resent >= 2, "at least the first payment of each establishment was resent, saw " + resent);
    }

    @Test
    void expiredTokenIsRefreshedOnceAndPaymentResent() throws Exception {
        queue("EXPIRED-WARM", "13807", 1, null);
        assertEquals(1, module.awaitOutcomes(1, WAIT).accepted().size());
        module.bank().revokeAllTokens();

        queue("EXPIRED-1", "13807", 2, null);
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> reasons(outcomes.failed()));
        JsonNode body = JSON.readTree(outcomes.accepted().get(0).body());
        assertEquals(2, body.get("attempts").asInt());
        List<BankSimulator.Received> sends = module.paymentsReceived("EXPIRED-1");
        assertEquals(2, sends.size());
        assertFalse(sends.get(0).header("Authorization").equals(sends.get(1).header("Authorization")),
                "the resend carries the new token");
        assertEquals(sends.get(0).header("X-Request-ID"), sends.get(1).header("X-Request-ID"),
                "one X-Request-ID per message, kept on the resend");
        assertEquals(2, module.bank().tokenRequests("13807"));
    }

    @Test
    void bankThatKeepsRefusingTheTokenGetsOneResendThenRejectedByBank() throws Exception {
        queue("REFUSING-WARM", "13807", 1, null);
        assertEquals(1, module.awaitOutcomes(1, WAIT).accepted().size());
        module.bank().refuseEveryToken(true);

        String body = queue("REFUSING-1", "13807", 2, null);
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.failed().size());
        Outcome failed = outcomes.failed().get(0);
        assertEquals("REJECTED_BY_BANK", failed.header("pispErrorCode"));
        String reason = failed.header("pispErrorReason");
        assertTrue(reason.contains("HTTP 403") && reason.contains("Token invalide"), reason);
        assertEquals("2", failed.header("pispAttempts"));
        assertEquals(body, failed.body(), "failed outcome carries the original body");
        assertEquals(2, module.paymentsReceived("REFUSING-1").size(), "one send and one resend, never a loop");
        assertEquals(2, module.bank().tokenRequests("13807"));
        assertTrue(module.noMoreOutcomes(Duration.ofMillis(500)));
    }

    @Test
    void aBrandNewTokenRefusedByTheBankIsFinal() throws Exception {
        module.bank().refuseEveryToken(true);

        queue("FRESH-REFUSED", "17515", 1, null);
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.failed().size());
        assertEquals("REJECTED_BY_BANK", outcomes.failed().get(0).header("pispErrorCode"));
        assertEquals(1, module.paymentsReceived("FRESH-REFUSED").size(), "a token fetched for this attempt is not refreshed");
        assertEquals(1, module.bank().tokenRequests("17515"));
    }

    @Test
    void establishmentComesFromTheHeaderWhenGivenAndFromTheIbanOtherwise() throws Exception {
        queue("FROM-HEADER", "13807", 1, "17515");
        queue("FROM-IBAN", "13807", 2, null);
        PispModule.Outcomes outcomes = module.awaitOutcomes(2, WAIT);

        assertEquals(2, outcomes.accepted().size(), () -> reasons(outcomes.failed()));
        Map<String, String> cdetabById = new HashMap<>();
        for (Outcome e : outcomes.accepted()) {
            JsonNode b = JSON.readTree(e.body());
            cdetabById.put(b.get("paymentInformationId").asText(), b.get("cdetab").asText());
        }
        assertEquals("17515", cdetabById.get("FROM-HEADER"));
        assertEquals("13807", cdetabById.get("FROM-IBAN"));
        assertEquals("/17515/stet/psd2/v1/payment-requests", module.paymentsReceived("FROM-HEADER").get(0).path());
        assertEquals("/13807/stet/psd2/v1/payment-requests", module.paymentsReceived("FROM-IBAN").get(0).path());
    }

    @Test
    void inboundCamelHeadersDoNotChangeTheTarget() throws Exception {
        Map<String, Object> hostile = new HashMap<>();
        hostile.put("CamelHttpUri", "http://127.0.0.1:" + module.bank().port() + "/17515/evil");
        hostile.put("CamelHttpPath", "/evil");
        hostile.put("camelhttpquery", "x=1");
        hostile.put("Authorization", "Bearer stolen");
        // JMS property names cannot hold '-': camel-jms decodes _HYPHEN_, so this arrives as header X-Request-ID.
        hostile.put("X_HYPHEN_Request_HYPHEN_ID", "chosen-by-sender");
        module.send(SamplePayments.json("INJECTED", SamplePayments.iban("13807", 1)), hostile);

        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> reasons(outcomes.failed()));
        BankSimulator.Received sent = module.paymentsReceived("INJECTED").get(0);
        assertEquals("/13807/stet/psd2/v1/payment-requests", sent.path());
        assertNull(sent.query());
        assertFalse(sent.header("Authorization").contains("stolen"));
        assertFalse("chosen-by-sender".equals(sent.header("X-Request-ID")));
        assertTrue(module.bank().received().stream().noneMatch(r -> r.path().contains("evil")));
    }

    @Test
    void otherFlowsCallTheModuleInProcessThroughDirect() throws Exception {
        String body = SamplePayments.json("IN-PROCESS", SamplePayments.iban("10207", 5));
        Exchange answer = module.producer().request("direct:initiate-payment",
                e -> e.getMessage().setBody(body));

        assertEquals("ACCEPTED", answer.getMessage().getHeader("pispOutcome"));
        assertEquals("10207", answer.getMessage().getHeader("cdetab"));
        JsonNode b = JSON.readTree(answer.getMessage().getBody(String.class));
        assertEquals("IN-PROCESS", b.get("paymentInformationId").asText());

        Exchange bad = module.producer().request("direct:initiate-payment", e -> e.getMessage().setBody("nope"));
        assertEquals("FAILED", bad.getMessage().getHeader("pispOutcome"));
        assertEquals("INVALID_PAYMENT_REQUEST", bad.getMessage().getHeader("pispErrorCode"));
        assertEquals("nope", bad.getMessage().getBody(String.class));
        assertNull(bad.getException());
    }

    /** Camel's stream caching is off: the module itself keeps a stream body re-readable (the failed outcome too). */
    @Test
    void anInProcessCallerMayGiveTheRequestAsAStream() throws Exception {
        String body = SamplePayments.json("AS-STREAM", SamplePayments.iban("10207", 6));
        Exchange answer = module.producer().request("direct:initiate-payment", e -> e.getMessage()
                .setBody(new java.io.ByteArrayInputStream(body.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        assertEquals("ACCEPTED", answer.getMessage().getHeader("pispOutcome"));
        assertEquals("AS-STREAM", JSON.readTree(answer.getMessage().getBody(String.class))
                .get("paymentInformationId").asText());
        assertEquals(body, module.paymentsReceived("AS-STREAM").get(0).body());

        String invalid = "{\"paymentInformationId\": \"AS-STREAM-BAD\"}";
        Exchange bad = module.producer().request("direct:initiate-payment", e -> e.getMessage()
                .setBody(new java.io.ByteArrayInputStream(invalid.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        assertEquals("INVALID_PAYMENT_REQUEST", bad.getMessage().getHeader("pispErrorCode"));
        assertEquals(invalid, bad.getMessage().getBody(String.class));
    }

    @Test
    void anInProcessCallerGetsNoBearerTokenBackWhetherAcceptedOrRefused() {
        Exchange accepted = module.producer().request("direct:initiate-payment",
                e -> e.getMessage().setBody(SamplePayments.json("NO-TOKEN-1", SamplePayments.iban("13807", 1))));
        module.bank().failPayments("13807", 1, BankSimulator.Fault.status(400, "Requête invalide"));
        Exchange refused = module.producer().request("direct:initiate-payment",
                e -> e.getMessage().setBody(SamplePayments.json("NO-TOKEN-2", SamplePayments.iban("13807", 2))));

        assertEquals("ACCEPTED", accepted.getMessage().getHeader("pispOutcome"));
        assertEquals("REJECTED_BY_BANK", refused.getMessage().getHeader("pispErrorCode"));
        for (Exchange answer : List.of(accepted, refused)) {
            String everything = answer.getMessage().getHeaders() + " " + answer.getAllProperties();
            // The simulator's tokens look like sim-13807-1-<uuid>.
            assertFalse(everything.matches("(?s).*sim-\\d{5}-.*"),
                    "the exchange handed back holds a token: " + everything.replaceAll("sim-\\d{5}-\\S+", "sim-****"));
        }
    }

    @Test
    void correlationIdIsKeptAndReplyToGetsTheOutcome() throws Exception {
        try (jakarta.jms.Connection c = module.jmsFactory().createConnection()) {
            jakarta.jms.Session session = c.createSession(false, jakarta.jms.Session.AUTO_ACKNOWLEDGE);
            jakarta.jms.Queue replies = session.createQueue("orchestrator.replies");
            jakarta.jms.MessageConsumer replyConsumer = session.createConsumer(replies);
            c.start();
            jakarta.jms.TextMessage request = session.createTextMessage(
                    SamplePayments.json("REPLY-TO", SamplePayments.iban("13807", 9)));
            request.setJMSCorrelationID("orchestration-42");
            request.setJMSReplyTo(replies);
            session.createProducer(session.createQueue("pisp.payment-requests")).send(request);

            jakarta.jms.Message reply = replyConsumer.receive(WAIT.toMillis());
            PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

            assertNotNull(reply, "the sender's JMSReplyTo got the outcome");
            assertEquals("orchestration-42", reply.getJMSCorrelationID());
            assertEquals("ACCEPTED", reply.getStringProperty("pispOutcome"));
            assertEquals("REPLY-TO", JSON.readTree(((jakarta.jms.TextMessage) reply).getText())
                    .get("paymentInformationId").asText());
            assertEquals(1, outcomes.accepted().size(), "the accepted queue got it too");
            assertEquals("orchestration-42", outcomes.accepted().get(0).correlationId());
        }
    }

    @Test
    void concurrentCacheMissesForOneEstablishmentMakeOneTokenRequest() throws Exception {
        module.bank().tokenLatency(300);
        int senders = 32;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(senders);
        try {
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<Exchange>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < senders; i++) {
                String body = SamplePayments.json("SINGLE-FLIGHT-" + i, SamplePayments.iban("16807", i));
                answers.add(pool.submit(() -> {
                    start.await();
                    return module.producer().request("direct:initiate-payment", e -> e.getMessage().setBody(body));
                }));
            }
            start.countDown();
            for (java.util.concurrent.Future<Exchange> f : answers) {
                assertEquals("ACCEPTED", f.get().getMessage().getHeader("pispOutcome"),
                        () -> String.valueOf(f.isDone()));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, module.bank().tokenRequests("16807"));
    }

    @Test
    void tokenIsRequestedWithAFormBodyAsTheBankDocuments() {
        queue("FORM-BODY", "13807", 1, null);
        assertEquals(1, module.awaitOutcomesUnchecked(1, WAIT).accepted().size());

        BankSimulator.Received tokenRequest = module.bank().received().stream()
                .filter(r -> r.path().equals("/13807/stet/psd2/oauth/token")).findFirst().orElseThrow();
        assertEquals("POST", tokenRequest.method());
        assertTrue(tokenRequest.header("Content-Type").startsWith("application/x-www-form-urlencoded"));
        assertEquals("grant_type=client_credentials&client_id=PSDFR-ACPR-12345&scope=pisp", tokenRequest.body());
        assertNull(tokenRequest.query());
    }

    private static String queue(String paymentInformationId, String ibanCdetab, long n, String cdetabHeader) {
        String body = SamplePayments.json(paymentInformationId, SamplePayments.iban(ibanCdetab, n));
        Map<String, Object> headers = new HashMap<>();
        if (cdetabHeader != null) {
            headers.put("cdetab", cdetabHeader);
        }
        module.send(body, headers);
        return body;
    }


    static String reasons(List<Outcome> failed) {
        return failed.stream().map(e -> e.header("pispErrorCode") + ": " + e.header("pispErrorReason")).collect(Collectors.joining("; "));
    }
}
