package eu.pisp.bpce.sim;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.pisp.bpce.sim.BankSimulator.Fault;
import eu.pisp.bpce.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The simulator's payment requests live like at a bank: statuses over time, reads, cancellation, confirmation. */
class BankSimulatorLifecycleTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String V1 = "v1";
    private static final String V142 = "v1.4.2";
    private static final String V162 = "v1.6.2";
    private static final Duration AT_MOST = Duration.ofSeconds(10);
    private static final AtomicLong SERIAL = new AtomicLong();

    private static BankSimulator bank;

    @BeforeAll
    static void start() throws IOException {
        bank = BankSimulator.start(0, 8);
    }

    @AfterAll
    static void stop() {
        bank.stop();
    }

    @BeforeEach
    void clean() {
        bank.reset();
        bank.verifySignatures(null, null);
        bank.keepPaymentRequests(50_000);
    }

    // ---- statuses over time ----------------------------------------------------------------------------------------

    @Test
    void aPaymentGoesReceivedThenApprovedThenExecuted() throws Exception {
        bank.customerApprovesAfter(Duration.ofMillis(800)).executionAfter(Duration.ofMillis(800));
        String token = token("13807");
        String id = post(V1, "13807", token, SamplePayments.json(pid(), SamplePayments.iban("13807", 1)));

        HttpResponse<String> first = get(V1, "13807", token, id);
        assertEquals(200, first.statusCode(), first.body());
        JsonNode hal = JSON.readTree(first.body());
        JsonNode request = hal.path("paymentRequest");
        assertEquals(id, request.path("resourceId").asText());
        assertEquals("RCVD", request.path("paymentInformationStatus").asText());
        assertTrue(request.path("statusReasonInformation").isMissingNode());
        assertEquals("PDNG", request.path("creditTransferTransaction").get(0).path("transactionStatus").asText());
        assertEquals("124.35", request.path("creditTransferTransaction").get(0).path("instructedAmount")
                .path("amount").asText(), "the request as received");
        assertEquals("/13807/stet/psd2/v1/payment-requests/" + id, hal.path("_links").path("self").path("href").asText());
        assertTrue(hal.path("_links").path("confirmation").isMissingNode(), "no confirmation on v1");

        await().atMost(AT_MOST).until(() -> status(get(V1, "13807", token, id)), "ACSP"::equals);
        assertEquals("ACSP", transactionStatus(get(V1, "13807", token, id)));
        await().atMost(AT_MOST).until(() -> status(get(V1, "13807", token, id)), "ACSC"::equals);
        assertEquals("ACSC", transactionStatus(get(V1, "13807", token, id)));
        assertEquals("ACSC", bank.statusOf(id));
        assertTrue(bank.statusReads("13807") >= 4);
        assertEquals(bank.statusReads("13807"), bank.totalStatusReads());
    }

    @Test
    void nothingMovesUnlessConfiguredAndAdminCallsMoveIt() throws Exception {
        String token = token("13807");
        String id = post(V1, "13807", token, SamplePayments.json(pid(), SamplePayments.iban("13807", 2)));
        assertEquals("RCVD", status(get(V1, "13807", token, id)));
        assertFalse(bank.execute(id), "not approved yet");
        assertTrue(bank.approve(id));
        assertFalse(bank.approve(id), "already approved");
        assertEquals("ACSP", status(get(V1, "13807", token, id)));
        assertEquals("ACSP", bank.statusOf(id), "no execution unless configured");
        assertTrue(bank.execute(id));
        assertEquals("ACSC", status(get(V1, "13807", token, id)));
        assertFalse(bank.reject(id, "CUST"), "final");
        assertNull(bank.statusOf("unknown"));
    }

    @Test
    void aRejectionCarriesItsReason() throws Exception {
        bank.rejectWhen(SamplePayments::isDemoRejection, "AM04", Duration.ofMillis(300));
        String token = token("13807");
        String rejected = post(V1, "13807", token, SamplePayments.rejectedJson(pid(), SamplePayments.iban("13807", 3)));
        String other = post(V1, "13807", token, SamplePayments.json(pid(), SamplePayments.iban("13807", 4)));

        await().atMost(AT_MOST).until(() -> status(get(V1, "13807", token, rejected)), "RJCT"::equals);
        JsonNode request = JSON.readTree(get(V1, "13807", token, rejected).body()).path("paymentRequest");
        assertEquals("AM04", request.path("statusReasonInformation").asText());
        assertEquals("RJCT", request.path("creditTransferTransaction").get(0).path("transactionStatus").asText());
        assertEquals("RCVD", bank.statusOf(other), "the rule picks only the matching payment");

        assertTrue(bank.reject(other, "CUST"));
        JsonNode refused = JSON.readTree(get(V1, "13807", token, other).body()).path("paymentRequest");
        assertEquals("RJCT", refused.path("paymentInformationStatus").asText());
        assertEquals("CUST", refused.path("statusReasonInformation").asText());
        assertEquals("CUST", bank.statusReasonOf(other));
    }

    @Test
    void aCustomerWhoNeverAnswersIsRejectedNoas() throws Exception {
        bank.customerNeverAnswers(Duration.ofMillis(500));
        String token = token("17515");
        String silent = post(V142, "17515", token, SamplePayments.json(pid(), SamplePayments.iban("17515", 5)));
        String approved = post(V142, "17515", token, SamplePayments.json(pid(), SamplePayments.iban("17515", 6)));
        assertTrue(bank.approve(approved));

        await().atMost(AT_MOST).until(() -> status(get(V142, "17515", token, silent)), "RJCT"::equals);
        assertEquals("NOAS", JSON.readTree(get(V142, "17515", token, silent).body()).path("paymentRequest")
                .path("statusReasonInformation").asText());
        assertEquals("ACSP", status(get(V142, "17515", token, approved)), "approved in time");
    }

    // ---- reads -----------------------------------------------------------------------------------------------------

    @Test
    void eachVersionHasItsBasePath() throws Exception {
        String token = token("13807");
        for (String version : new String[] {V1, V142, V162}) {
            HttpResponse<String> created = postRaw(version, "13807", token,
                    SamplePayments.json(pid(), SamplePayments.iban("13807", 7)));
            assertEquals(201, created.statusCode(), created.body());
            String location = created.headers().firstValue("Location").orElseThrow();
            assertTrue(location.startsWith("/13807/stet/psd2/" + version + "/payment-requests/"), location);
            assertTrue(JSON.readTree(created.body()).path("_links").path("consentApproval").path("href").asText()
                    .contains("paymentRequestRessourceId="));
            String id = location.substring(location.lastIndexOf('/') + 1);
            assertEquals(StetApiVersion.ofPathSegment(version), bank.stetVersionOf(id));
            assertEquals(200, get(version, "13807", token, id).statusCode());
        }
        assertEquals(3, bank.storedPaymentRequests());
        String pid = pid();
        post(V1, "13807", token, SamplePayments.json(pid, SamplePayments.iban("13807", 8)));
        assertEquals(409, postRaw(V162, "13807", token, SamplePayments.json(pid, SamplePayments.iban("13807", 8)))
                .statusCode(), "a duplicate whatever the version");
        assertNotNull(bank.resourceIdOf("13807", pid));
    }

    @Test
    void anUnknownIdOrAnotherEstablishmentsIdIsNotFound() throws Exception {
        String token = token("13807");
        HttpResponse<String> unknown = get(V1, "13807", token, "0123456789abcdef");
        assertEquals(404, unknown.statusCode());
        JsonNode error = JSON.readTree(unknown.body());
        assertEquals(404, error.path("status").asInt());
        assertEquals("Not Found", error.path("error").asText());
        assertEquals("/13807/stet/psd2/v1/payment-requests/0123456789abcdef", error.path("path").asText());

        String id = post(V1, "13807", token, SamplePayments.json(pid(), SamplePayments.iban("13807", 9)));
        assertEquals(404, get(V1, "17515", token("17515"), id).statusCode());
    }

    @Test
    void revokedTokensAreRefusedOnGetAndPut() throws Exception {
        String token = token("13807");
        String body = SamplePayments.deferredJson(pid(), SamplePayments.iban("13807", 10));
        String id = post(V1, "13807", token, body);
        bank.revokeAllTokens();

        HttpResponse<String> read = get(V1, "13807", token, id);
        assertEquals(403, read.statusCode());
        assertEquals("Token invalide", JSON.readTree(read.body()).path("message").asText());
        HttpResponse<String> cancel = put(V1, "13807", token, id, cancellation(body, "RJCT", "DS02"));
        assertEquals(403, cancel.statusCode());
        assertEquals("Token invalide", JSON.readTree(cancel.body()).path("message").asText());
        assertFalse(bank.cancellationPending(id));
        assertEquals(403, get(V1, "13807", null, id).statusCode(), "no token at all");

        String fresh = token("13807");
        assertEquals(200, get(V1, "13807", fresh, id).statusCode());
        assertEquals(403, get(V1, "17515", fresh, id).statusCode(), "a token of another establishment");
    }

    // ---- cancellation ----------------------------------------------------------------------------------------------

    @Test
    void aDeferredPaymentIsCancelledRjctDs02OnV1() throws Exception {
        String token = token("13807");
        String id = post(V1, "13807", token, SamplePayments.deferredJson(pid(), SamplePayments.iban("13807", 11)));
        assertTrue(bank.approve(id));
        // the client sends back what it read, status changed
        ObjectNode read = (ObjectNode) JSON.readTree(get(V1, "13807", token, id).body()).path("paymentRequest");
        read.put("paymentInformationStatus", "RJCT");
        read.put("statusReasonInformation", "DS02");

        HttpResponse<String> cancel = put(V1, "13807", token, id, read.toString());
        assertEquals(200, cancel.statusCode(), cancel.body());
        String consent = JSON.readTree(cancel.body()).path("_links").path("consentApproval").path("href").asText();
        assertTrue(consent.startsWith("https://") && consent.contains(id), consent);
        assertTrue(bank.cancellationPending(id));
        assertEquals("ACSP", status(get(V1, "13807", token, id)), "until the customer approves the cancellation");

        assertTrue(bank.approveCancellation(id));
        JsonNode cancelled = JSON.readTree(get(V1, "13807", token, id).body()).path("paymentRequest");
        assertEquals("RJCT", cancelled.path("paymentInformationStatus").asText());
        assertEquals("DS02", cancelled.path("statusReasonInformation").asText());
        assertEquals("RJCT", cancelled.path("creditTransferTransaction").get(0).path("transactionStatus").asText());
        assertEquals(1, bank.cancellations());
        assertEquals(1, bank.acceptedCancellations());
        assertFalse(bank.approveCancellation(id), "nothing pending");
    }

    @Test
    void aDeferredPaymentIsCancelledCancDs02OnV162WhenTheCustomerApproves() throws Exception {
        bank.customerApprovesAfter(Duration.ofMillis(300)).executionAfter(Duration.ofMillis(100));
        String token = token("13807");
        String body = SamplePayments.deferredJson(pid(), SamplePayments.iban("13807", 12));
        String id = post(V162, "13807", token, body);
        await().atMost(AT_MOST).until(() -> status(get(V162, "13807", token, id)), "ACSP"::equals);
        assertEquals("ACSP", bank.statusOf(id), "a deferred payment is not executed before its date");

        assertEquals(400, put(V162, "13807", token, id, cancellation(body, "RJCT", "DS02")).statusCode(),
                "RJCT is the 1.4.0 cancellation");
        HttpResponse<String> cancel = put(V162, "13807", token, id, cancellationWithReasonArray(body, "CANC", "DS02"));
        assertEquals(200, cancel.statusCode(), cancel.body());
        await().atMost(AT_MOST).until(() -> status(get(V162, "13807", token, id)), "CANC"::equals);
        assertEquals("DS02", bank.statusReasonOf(id));
        assertEquals(2, bank.cancellations());
        assertEquals(1, bank.acceptedCancellations());
    }

    @Test
    void aStandingOrderIsCancellable() throws Exception {
        String token = token("13807");
        String body = SamplePayments.standingOrderJson(pid(), SamplePayments.iban("13807", 13));
        String id = post(V142, "13807", token, body);
        assertEquals(200, put(V142, "13807", token, id, cancellation(body, "CANC", "DS02")).statusCode());
        assertTrue(bank.approveCancellation(id));
        assertEquals("CANC", bank.statusOf(id));
    }

    @Test
    void immediateInstantFinalOrModifiedPaymentsAreNotCancelled() throws Exception {
        String token = token("13807");
        String instant = SamplePayments.json(pid(), SamplePayments.iban("13807", 14));
        String instantId = post(V1, "13807", token, instant);
        assertRefused(put(V1, "13807", token, instantId, cancellation(instant, "RJCT", "DS02")), "instantané");

        String today = SamplePayments.deferredJson(pid(), SamplePayments.iban("13807", 15),
                LocalDate.now(ZoneId.of("Europe/Paris")));
        String todayId = post(V1, "13807", token, today);
        assertRefused(put(V1, "13807", token, todayId, cancellation(today, "RJCT", "DS02")), "différés");

        String deferred = SamplePayments.deferredJson(pid(), SamplePayments.iban("13807", 16));
        String deferredId = post(V1, "13807", token, deferred);
        String changedAmount = cancellation(deferred, "RJCT", "DS02").replace("124.35", "999.99");
        assertRefused(put(V1, "13807", token, deferredId, changedAmount),
                "modifié: /creditTransferTransaction/0/instructedAmount/amount");
        ObjectNode extra = (ObjectNode) JSON.readTree(cancellation(deferred, "RJCT", "DS02"));
        extra.put("purpose", "COMC");
        assertRefused(put(V1, "13807", token, deferredId, extra.toString()), "modifié: /purpose");
        assertRefused(put(V1, "13807", token, deferredId, cancellation(deferred, "RJCT", "CUST")), "DS02");
        assertRefused(put(V1, "13807", token, deferredId, deferred), "RJCT");

        assertTrue(bank.approve(deferredId));
        assertTrue(bank.execute(deferredId));
        assertRefused(put(V1, "13807", token, deferredId, cancellation(deferred, "RJCT", "DS02")), "final ACSC");
        assertEquals(0, bank.acceptedCancellations());
        assertEquals(404, put(V1, "13807", token, "nope", cancellation(deferred, "RJCT", "DS02")).statusCode());
    }

    // ---- faults ----------------------------------------------------------------------------------------------------

    @Test
    void rateLimitingAnswers403Tmrq() throws Exception {
        String token = token("13807");
        bank.failPayments("13807", 1, Fault.rateLimited());
        String body = SamplePayments.deferredJson(pid(), SamplePayments.iban("13807", 17));
        HttpResponse<String> limited = postRaw(V1, "13807", token, body);
        assertEquals(403, limited.statusCode());
        JsonNode error = JSON.readTree(limited.body());
        assertEquals(403, error.path("status").asInt());
        assertEquals("Forbidden", error.path("error").asText());
        assertTrue(error.path("message").asText().contains("TMRQ"), limited.body());
        assertEquals(0, bank.processedPaymentCount(), "not processed");
        assertEquals(0, bank.storedPaymentRequests());
        String id = post(V1, "13807", token, body);

        bank.failStatusReads("13807", 1, Fault.rateLimited());
        bank.failStatusReads("13807", 1, Fault.retryAfter(429, 2));
        HttpResponse<String> read = get(V1, "13807", token, id);
        assertEquals(403, read.statusCode());
        assertTrue(JSON.readTree(read.body()).path("message").asText().contains("TMRQ"));
        HttpResponse<String> tooMany = get(V1, "13807", token, id);
        assertEquals(429, tooMany.statusCode());
        assertEquals("2", tooMany.headers().firstValue("Retry-After").orElse(null));
        assertEquals(200, get(V1, "13807", token, id).statusCode());

        bank.failCancellations("13807", 1, Fault.rateLimited());
        assertEquals(403, put(V1, "13807", token, id, cancellation(body, "RJCT", "DS02")).statusCode());
        assertFalse(bank.cancellationPending(id), "not processed");
        assertEquals(200, put(V1, "13807", token, id, cancellation(body, "RJCT", "DS02")).statusCode());

        bank.failTokenRequests("13807", 1, Fault.rateLimited());
        HttpResponse<String> tokenLimited = tokenRaw("13807");
        assertEquals(403, tokenLimited.statusCode());
        assertTrue(tokenLimited.body().contains("TMRQ"));
        assertEquals(1, bank.faultsApplied().get("status:status-403"));
        assertEquals(1, bank.faultsApplied().get("cancellation:status-403"));
    }

    // ---- confirmation ----------------------------------------------------------------------------------------------

    @Test
    void confirmationIs405OnV1AndV142() throws Exception {
        String token = token("13807");
        String id = post(V1, "13807", token, SamplePayments.json(pid(), SamplePayments.iban("13807", 18)));
        HttpResponse<String> v1 = confirm(V1, "13807", token, id, "{\"nonce\":\"n\",\"psuAuthenticationFactor\":\"f\"}");
        assertEquals(405, v1.statusCode());
        assertEquals("Method Not Allowed", JSON.readTree(v1.body()).path("error").asText());
        assertEquals(405, confirm(V142, "13807", token, id, "{}").statusCode());
        assertEquals(2, bank.confirmations());
        assertEquals("RCVD", bank.statusOf(id));
    }

    @Test
    void confirmationOnV162() throws Exception {
        String token = token("13807");
        String id = post(V162, "13807", token, SamplePayments.json(pid(), SamplePayments.iban("13807", 19)));
        assertTrue(bank.approve(id));
        JsonNode before = JSON.readTree(get(V162, "13807", token, id).body());
        assertEquals("ACSP", before.path("paymentRequest").path("paymentInformationStatus").asText());
        assertEquals("PDNG", before.path("paymentRequest").path("creditTransferTransaction").get(0)
                .path("transactionStatus").asText(), "1.6.2: the transaction waits for the confirmation");
        assertEquals("/13807/stet/psd2/v1.6.2/payment-requests/" + id + "/confirmation",
                before.path("_links").path("confirmation").path("href").asText());

        assertEquals(400, confirm(V162, "13807", token, id, "{\"nonce\":\"n\"}").statusCode(), "no factor");
        HttpResponse<String> confirmed = confirm(V162, "13807", token, id,
                "{\"nonce\":\"a1b2c3\",\"psuAuthenticationFactor\":\"123456\"}");
        assertEquals(200, confirmed.statusCode(), confirmed.body());
        JsonNode after = JSON.readTree(confirmed.body());
        assertEquals(id, after.path("paymentRequest").path("resourceId").asText());
        assertEquals("ACSP", after.path("paymentRequest").path("paymentInformationStatus").asText());
        assertEquals("ACSP", after.path("paymentRequest").path("creditTransferTransaction").get(0)
                .path("transactionStatus").asText());
        assertTrue(after.path("_links").path("confirmation").isMissingNode());

        assertTrue(bank.reject(id, "FRAD"));
        assertEquals(400, confirm(V162, "13807", token, id,
                "{\"nonce\":\"a1b2c3\",\"psuAuthenticationFactor\":\"123456\"}").statusCode(), "final");
        assertEquals(3, bank.confirmations());
    }

    // ---- signatures, bounds, reset ---------------------------------------------------------------------------------

    @Test
    void signedGetPutAndPostAreVerified() throws Exception {
        KeyPair keys = TestPki.shared().qsealc.keys();
        bank.verifySignatures(keys.getPublic(), "key-1");
        String token = token("13807");
        String body = SamplePayments.deferredJson(pid(), SamplePayments.iban("13807", 20));
        String base = "/13807/stet/psd2/v1/payment-requests";

        HttpResponse<String> created = send(signed(keys, "POST", base, body, token, true));
        assertEquals(201, created.statusCode(), created.body());
        String location = created.headers().firstValue("Location").orElseThrow();
        String id = location.substring(location.lastIndexOf('/') + 1);

        assertEquals(200, send(signed(keys, "GET", base + "/" + id, null, token, false)).statusCode(),
                "a GET without a body needs no Digest");
        assertEquals(200, send(signed(keys, "GET", base + "/" + id, null, token, true)).statusCode(),
                "or signs the digest of the empty body");
        HttpResponse<String> unsigned = get(V1, "13807", token, id);
        assertEquals(401, unsigned.statusCode());
        assertEquals("Signature absente", JSON.readTree(unsigned.body()).path("message").asText());
        HttpRequest wrongTarget = signed(keys, "GET", base + "/" + id, null, token, false, base + "/other");
        assertEquals(401, send(wrongTarget).statusCode(), "the signature covers the real path");

        String put = cancellation(body, "RJCT", "DS02");
        assertEquals(401, send(signed(keys, "PUT", base + "/" + id, put, token, false)).statusCode(),
                "a body needs its Digest signed");
        assertEquals(200, send(signed(keys, "PUT", base + "/" + id, put, token, true)).statusCode());
        assertEquals(4, bank.signaturesAccepted());
        assertEquals(3, bank.signaturesRefused());
    }

    @Test
    void keptPaymentRequestsAreBoundedAndResetForgetsThem() throws Exception {
        bank.keepPaymentRequests(2);
        String token = token("13807");
        String first = post(V1, "13807", token, SamplePayments.json(pid(), SamplePayments.iban("13807", 21)));
        String second = post(V1, "13807", token, SamplePayments.json(pid(), SamplePayments.iban("13807", 22)));
        String third = post(V1, "13807", token, SamplePayments.json(pid(), SamplePayments.iban("13807", 23)));
        assertEquals(2, bank.storedPaymentRequests());
        assertEquals(404, get(V1, "13807", token, first).statusCode(), "the oldest is forgotten first");
        assertEquals(200, get(V1, "13807", token, second).statusCode());
        assertEquals(200, get(V1, "13807", token, third).statusCode());

        bank.customerApprovesAfter(Duration.ofMillis(1));
        bank.failStatusReads("*", 5, Fault.status(500, "Erreur"));
        bank.reset();
        assertEquals(0, bank.storedPaymentRequests());
        assertEquals(0, bank.totalStatusReads());
        assertNull(bank.statusOf(third));
        String token2 = token("13807");
        String fresh = post(V1, "13807", token2, SamplePayments.json(pid(), SamplePayments.iban("13807", 24)));
        assertEquals(200, get(V1, "13807", token2, fresh).statusCode(), "faults were forgotten");
        assertEquals("RCVD", bank.statusOf(fresh), "so was the customer's approval delay");
        assertTrue(bank.received().stream().anyMatch(r -> r.method().equals("GET")), "GETs are recorded too");
    }

    @Test
    void theDemoBehaviourRejectsTheSampleOfTheRejectedCreditor() throws Exception {
        BankSimulator.demoLifecycle(bank);
        String token = token("13807");
        String rejected = post(V1, "13807", token, SamplePayments.demo(5, pid(), SamplePayments.iban("13807", 25)));
        String deferred = post(V1, "13807", token, SamplePayments.demo(3, pid(), SamplePayments.iban("13807", 26)));
        String immediate = post(V1, "13807", token, SamplePayments.demo(1, pid(), SamplePayments.iban("13807", 27)));
        await().atMost(AT_MOST).until(() -> "ACSC".equals(bank.statusOf(immediate)));
        assertEquals("RJCT", bank.statusOf(rejected));
        assertEquals("CUST", bank.statusReasonOf(rejected));
        assertEquals("ACSP", bank.statusOf(deferred), "executed on its date, D+2");
    }

    // ---- HTTP ------------------------------------------------------------------------------------------------------

    private static void assertRefused(HttpResponse<String> answer, String messagePart) throws IOException {
        assertEquals(400, answer.statusCode(), answer.body());
        JsonNode error = JSON.readTree(answer.body());
        assertEquals(400, error.path("status").asInt());
        assertEquals("Bad Request", error.path("error").asText());
        assertTrue(error.path("message").asText().contains(messagePart), answer.body());
    }

    private static String pid() {
        return "LIFE-" + SERIAL.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + bank.port() + path;
    }

    private static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> tokenRaw(String cdetab) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url("/" + cdetab + "/stet/psd2/oauth/token")))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=X&scope=pisp"))
                .build());
    }

    private static String token(String cdetab) throws Exception {
        HttpResponse<String> answer = tokenRaw(cdetab);
        assertEquals(200, answer.statusCode(), answer.body());
        return JSON.readTree(answer.body()).path("access_token").asText();
    }

    private static HttpRequest.Builder request(String version, String cdetab, String suffix, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url("/" + cdetab + "/stet/psd2/" + version
                        + "/payment-requests" + suffix)))
                .timeout(Duration.ofSeconds(10))
                .header("X-Request-ID", UUID.randomUUID().toString());
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    private static HttpResponse<String> postRaw(String version, String cdetab, String token, String body)
            throws Exception {
        return send(request(version, cdetab, "", token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** Posts a payment request; its resource id. */
    private static String post(String version, String cdetab, String token, String body) throws Exception {
        HttpResponse<String> answer = postRaw(version, cdetab, token, body);
        assertEquals(201, answer.statusCode(), answer.body());
        String location = answer.headers().firstValue("Location").orElseThrow();
        return location.substring(location.lastIndexOf('/') + 1);
    }

    private static HttpResponse<String> get(String version, String cdetab, String token, String id)
            throws Exception {
        return send(request(version, cdetab, "/" + id, token).GET().build());
    }

    private static HttpResponse<String> put(String version, String cdetab, String token, String id, String body)
            throws Exception {
        return send(request(version, cdetab, "/" + id, token).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> confirm(String version, String cdetab, String token, String id, String body)
            throws Exception {
        return send(request(version, cdetab, "/" + id + "/confirmation", token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static String status(HttpResponse<String> answer) throws IOException {
        assertEquals(200, answer.statusCode(), answer.body());
        return JSON.readTree(answer.body()).path("paymentRequest").path("paymentInformationStatus").asText();
    }

    private static String transactionStatus(HttpResponse<String> answer) throws IOException {
        return JSON.readTree(answer.body()).path("paymentRequest").path("creditTransferTransaction").get(0)
                .path("transactionStatus").asText();
    }

    /** The original request with the cancellation status and reason. */
    private static String cancellation(String original, String status, String reason) throws IOException {
        ObjectNode request = (ObjectNode) JSON.readTree(original);
        request.put("paymentInformationStatus", status);
        request.put("statusReasonInformation", reason);
        return request.toString();
    }

    private static String cancellationWithReasonArray(String original, String status, String reason)
            throws IOException {
        ObjectNode request = (ObjectNode) JSON.readTree(original);
        request.put("paymentInformationStatus", status);
        request.putArray("statusReasonInformation").add(reason);
        return request.toString();
    }

    private static HttpRequest signed(KeyPair keys, String method, String path, String body, String token,
                                      boolean digest) throws Exception {
        return signed(keys, method, path, body, token, digest, path);
    }

    /** A draft-cavage signed request (independent of the module's signer), signing {@code signedPath}. */
    private static HttpRequest signed(KeyPair keys, String method, String path, String body, String token,
                                      boolean digest, String signedPath) throws Exception {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        String requestId = UUID.randomUUID().toString();
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
        String digestValue = "SHA-256=" + Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(bytes));
        String headers = digest ? "(request-target) date digest x-request-id" : "(request-target) date x-request-id";
        String signingString = "(request-target): " + method.toLowerCase() + " " + signedPath + "\ndate: " + date
                + (digest ? "\ndigest: " + digestValue : "") + "\nx-request-id: " + requestId;
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(keys.getPrivate());
        rsa.update(signingString.getBytes(StandardCharsets.UTF_8));
        String signature = Base64.getEncoder().encodeToString(rsa.sign());
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token)
                .header("X-Request-ID", requestId)
                .header("Date", date)
                .header("Signature", "keyId=\"key-1\",algorithm=\"rsa-sha256\",headers=\"" + headers
                        + "\",signature=\"" + signature + "\"");
        if (digest) {
            b.header("Digest", digestValue);
        }
        if (body == null) {
            return b.method(method, HttpRequest.BodyPublishers.noBody()).build();
        }
        return b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(bytes))
                .build();
    }
}
