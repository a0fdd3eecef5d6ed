package eu.pisp.bpce.observe;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.StderrCapture;
import eu.pisp.bpce.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an on-call engineer asks the running module, over its management server with a real HTTP client: the metrics
 * count what was sent, health answers at once and keeps one bank's trouble a detail, info tells the protections and
 * certificate dates, nothing secret is ever served, and every log line of a payment carries its ids. The module runs
 * as in production: mutual TLS, signed requests, passwords from secret files, broker security on.
 */
class OperatingTheModuleTest {

    private static final TestPki PKI = TestPki.shared();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final StderrCapture LOGS = StderrCapture.start();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TOKEN = Pattern.compile("sim-\\d{5}-\\d+-[0-9a-f-]{36}");
    private static final Pattern FULL_IBAN = Pattern.compile("FR\\d{2} ?(?:\\d{4} ?){5}[0-9A-Z]{3}");
    private static final Pattern SAMPLE = Pattern.compile(
            "^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)$", Pattern.MULTILINE);
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @RegisterExtension
    static final PispModule module = new PispModule()
            .bank(() -> BankSimulator.startHttps(0, PKI.bankTls(), true)
                    .verifySignatures(PKI.qsealc.cert().getPublicKey(), TestPki.QSEALC_KEY_ID))
            .with("pisp.secrets-dir", secretFiles().toString())
            .with("pisp.tls.keystore.path", PKI.qwacKeystore.toString())
            .with("pisp.tls.keystore.alias", TestPki.QWAC_ALIAS)
            .with("pisp.tls.truststore.path", PKI.truststore.toString())
            .with("pisp.signature.enabled", "true")
            .with("pisp.signature.keystore.path", PKI.qsealcKeystore.toString())
            .with("pisp.signature.key-id", TestPki.QSEALC_KEY_ID)
            // Small circuits, so that one test can open one with two failures.
            .with("pisp.breaker.minimum-calls", "2")
            .with("pisp.breaker.sliding-window-size", "2");

    @AfterAll
    static void stopCapture() {
        LOGS.stop();
    }

    @Test
    void metricsCountEveryOutcomeByEstablishmentAndCode() throws Exception {
        Map<String, Double> before = scrape();

        for (int i = 1; i <= 3; i++) {
            expect(payment("MET-OK-" + i, "13807", i), "ACCEPTED");
        }
        module.bank().revokeAllTokens(); // the next payment's cached token is refused: dropped, refreshed, resent
        expect(payment("MET-REVOKED", "13807", 4), "ACCEPTED");
        module.bank().failPayments("17515", 2, BankSimulator.Fault.status(400, "Montant invalide"));
        expect(payment("MET-REJ-1", "17515", 1), "REJECTED_BY_BANK");
        expect(payment("MET-REJ-2", "17515", 2), "REJECTED_BY_BANK");
        module.bank().failTokenRequests("10207", 10, BankSimulator.Fault.status(500, "Erreur interne"));
        expect(payment("MET-NO-TOKEN", "10207", 1), "TOKEN_UNAVAILABLE");
        module.bank().failPayments("16807", 1, BankSimulator.Fault.status(500, "Erreur interne"));
        expect(payment("MET-UNKNOWN", "16807", 1), "OUTCOME_UNKNOWN");
        expect(payment("MET-OK-1", "13807", 9), "DUPLICATE_PAYMENT");
        expect("{\"not\": \"a payment\"}", Map.of(), "INVALID_PAYMENT_REQUEST");
        expect(payment("MET-NOWHERE", "13807", 5), Map.of("cdetab", "99999"), "UNKNOWN_ESTABLISHMENT");
        await().atMost(WAIT).until(() -> value(scrape(), "pisp_payments_in_flight") == 0);

        Map<String, Double> after = scrape();
        Delta d = new Delta(before, after);
        assertEquals(4, d.of("pisp_payments_total", "cdetab", "13807", "outcome", "ACCEPTED", "code", "none"));
        assertEquals(1, d.of("pisp_payments_total", "cdetab", "13807", "outcome", "FAILED", "code", "DUPLICATE_PAYMENT"));
        assertEquals(2, d.of("pisp_payments_total", "cdetab", "17515", "code", "REJECTED_BY_BANK"));
        assertEquals(1, d.of("pisp_payments_total", "cdetab", "10207", "code", "TOKEN_UNAVAILABLE"));
        assertEquals(1, d.of("pisp_payments_total", "cdetab", "16807", "code", "OUTCOME_UNKNOWN"));
        // No registered establishment: the tag says none, never the raw header or IBAN.
        assertEquals(1, d.of("pisp_payments_total", "cdetab", "none", "code", "INVALID_PAYMENT_REQUEST"));
        assertEquals(1, d.of("pisp_payments_total", "cdetab", "none", "code", "UNKNOWN_ESTABLISHMENT"));
        assertEquals(0, d.of("pisp_payments_total", "cdetab", "99999"));
        assertEquals(11, d.of("pisp_payments_total"), "one count per message sent");

        assertEquals(2, d.of("pisp_token_requests_total", "cdetab", "13807", "result", "obtained"), "first + refresh");
        assertEquals(4, d.of("pisp_token_requests_total", "cdetab", "10207", "result", "unavailable"),
                "the first request and its 3 retries");
        assertEquals(1, d.of("pisp_token_refreshes_total", "cdetab", "13807", "reason", "refused_by_bank"));
        assertEquals(0, d.of("pisp_token_refreshes_total", "reason", "ahead_of_expiry"));

        assertEquals(4, d.of("pisp_bank_call_duration_seconds_count", "cdetab", "13807", "status", "201"));
        assertEquals(1, d.of("pisp_bank_call_duration_seconds_count", "cdetab", "13807", "status", "403"));
        assertEquals(2, d.of("pisp_bank_call_duration_seconds_count", "cdetab", "17515", "status", "400"));
        assertEquals(4, d.of("pisp_bank_call_duration_seconds_count", "cdetab", "10207", "operation", "fetch-token",
                "status", "500"));
        assertEquals(1, d.of("pisp_bank_call_duration_seconds_count", "cdetab", "16807", "status", "500"));
        assertEquals(2, d.of("pisp_bank_call_duration_seconds_count", "cdetab", "13807", "operation", "fetch-token",
                "status", "200"), "the token calls are told apart from the payment calls");
        assertEquals(module.bank().receivedCount(), d.of("pisp_bank_call_duration_seconds_count"),
                "every request the bank received was timed");
        assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith("pisp_bank_call_duration_seconds_bucket{")),
                "histogram buckets for percentiles");

        assertEquals(4, d.of("pisp_send_record_claims_total", "cdetab", "13807", "result", "new"));
        assertEquals(1, d.of("pisp_send_record_duplicates_refused_total", "cdetab", "13807"));
        assertEquals(1, d.of("pisp_send_record_outcome_unknown_total", "cdetab", "16807", "cause", "no_answer"));
        assertEquals(1, d.of("pisp_send_record_outcome_unknown_total"));

        assertEquals(0, value(after, "pisp_broker_queue_messages", "queue", "pisp.payment-requests"),
                "the intake queue is empty once everything is processed");
        assertTrue(value(after, "pisp_token_time_to_expiry_seconds", "cdetab", "13807") > 0);
        assertTrue(value(after, "pisp_token_age_seconds", "cdetab", "13807") >= 0);
        assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith("camel_exchanges_total{")
                && k.contains("routeId=\"consume-payment-requests\"")), "Camel's route metrics are there too");
        assertFalse(after.keySet().stream().anyMatch(k -> k.contains("routeId=\"accept-payment-request\"")),
                "the building blocks are left out (pisp.metrics.route-exclude-pattern)");
    }

    @Test
    void anOpenCircuitOrAFailingTokenEndpointIsADetailNotNotReady() throws Exception {
        module.bank().failPayments("12579", 2, BankSimulator.Fault.status(502, "Bad gateway"));
        expect(payment("CIRCUIT-1", "12579", 1), "OUTCOME_UNKNOWN");
        expect(payment("CIRCUIT-2", "12579", 2), "OUTCOME_UNKNOWN");
        double rejectedBefore = value(scrape(), "pisp_circuit_rejections_total", "cdetab", "12579");
        expect(payment("CIRCUIT-3", "12579", 3), "BANK_UNAVAILABLE");
        module.bank().failTokenRequests("14607", 10, BankSimulator.Fault.status(503, "Maintenance"));
        expect(payment("TOKEN-DOWN", "14607", 1), "TOKEN_UNAVAILABLE");

        Map<String, Double> metrics = scrape();
        assertEquals(1, value(metrics, "pisp_circuit_state", "cdetab", "12579"), "open");
        assertEquals(0, value(metrics, "pisp_circuit_state", "cdetab", "13807"), "closed");
        assertEquals(1, value(metrics, "pisp_circuit_rejections_total", "cdetab", "12579") - rejectedBefore);

        assertEquals(200, get("/observe/health/ready").statusCode(), "one bank down keeps the instance ready");
        HttpResponse<String> health = get("/observe/health?data=true");
        assertEquals(200, health.statusCode());
        JsonNode establishments = check(JSON.readTree(health.body()), "establishments");
        assertEquals("UP", establishments.get("status").asText());
        assertEquals("OPEN", establishments.get("data").get("12579.circuit").asText());
        assertTrue(establishments.get("data").get("14607.token").asText().contains("FAILING"),
                establishments.toString());
        assertTrue(establishments.get("message").asText().contains("12579 (circuit OPEN)"));
    }

    @Test
    void healthAnswersWithinASecondWhileABankHangs() throws Exception {
        module.bank().failPayments("13807", 1, BankSimulator.Fault.slowAnswer(4_000));
        module.send(payment("HANGING", "13807", 7), Map.of());
        await().atMost(WAIT).until(() -> value(scrape(), "pisp_payments_in_flight") == 1);

        PispModule.Outcomes hanging;
        try {
            for (String path : List.of("/observe/health", "/observe/health/live", "/observe/health/ready",
                    "/observe/health?data=true")) {
                long t0 = System.nanoTime();
                HttpResponse<String> answer = get(path);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(200, answer.statusCode(), path + ": " + answer.body());
                assertTrue(ms < 1_000, path + " took " + ms + " ms while a bank hangs");
            }
            JsonNode live = JSON.readTree(get("/observe/health/live").body());
            assertEquals("UP", check(live, "consumers-running").get("status").asText());
            JsonNode ready = JSON.readTree(get("/observe/health/ready?data=true").body());
            for (String id : List.of("broker", "send-record", "establishment-registry", "certificates")) {
                assertEquals("UP", check(ready, id).get("status").asText(), id);
            }
        } finally {
            // Even when an assertion above fails: the hanging payment's outcome is this test's, not the next one's.
            hanging = module.awaitOutcomes(1, WAIT);
        }
        assertEquals(1, hanging.accepted().size(), "the hanging payment ends as usual");
    }

    @Test
    void infoShowsVersionEstablishmentsProtectionsAndCertificateExpiry() throws Exception {
        HttpResponse<String> answer = get("/observe/info");
        assertEquals(200, answer.statusCode());
        JsonNode pisp = JSON.readTree(answer.body()).get("pisp");
        assertTrue(pisp.get("version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), pisp.toString());
        assertTrue(pisp.get("establishments").asInt() > 20);
        assertTrue(pisp.get("security").get("mutualTls").asBoolean());
        assertTrue(pisp.get("security").get("requestSigning").asBoolean());
        assertTrue(pisp.get("security").get("brokerAuthentication").asBoolean());
        assertEquals("file", pisp.get("sendRecordStore").asText());
        List<String> uses = new ArrayList<>();
        for (JsonNode c : pisp.get("certificates")) {
            uses.add(c.get("use").asText());
            assertTrue(c.get("valid").asBoolean());
            assertTrue(c.get("notAfter").asText().startsWith("20"));
        }
        assertEquals(List.of("qwac", "qsealc"), uses);
    }

    @Test
    void noSecretInAnyManagementAnswer() throws Exception {
        expect(payment("SECRET-1", "13807", 11), "ACCEPTED");
        module.bank().revokeAllTokens();
        expect(payment("SECRET-2", "13807", 12), "ACCEPTED");
        StringBuilder all = new StringBuilder();
        for (String path : List.of("/observe/metrics", "/observe/health?data=true&exposureLevel=full",
                "/observe/health/live?data=true", "/observe/health/ready?data=true&stackTrace=true", "/observe/info")) {
            all.append(get(path).body()).append('\n');
        }
        String served = all.toString();
        assertTrue(served.contains("pisp_payments_total") && served.contains("\"establishments\""), "all were read");
        for (String secret : List.of(PKI.qwacPassword, PKI.truststorePassword, PKI.qsealcPassword,
                module.brokerPassword())) {
            assertFalse(served.contains(secret), "a password is served");
        }
        assertFalse(TOKEN.matcher(served).find(), "an access token is served");
        assertFalse(served.contains("Bearer"), "an Authorization value is served");
        assertFalse(FULL_IBAN.matcher(served).find(), "a full IBAN is served");
        for (String detail : List.of(PKI.qwacKeystore.toString(), PKI.qsealcKeystore.toString(),
                PKI.truststore.getFileName().toString(), TestPki.QWAC_ALIAS + "'", "secrets")) {
            assertFalse(served.contains(detail), "keystore detail served: " + detail);
        }
    }

    @Test
    void everyLineOfAPaymentCarriesItsIdsRetriesAndTokenRefreshIncluded() throws Exception {
        expect(payment("TRACE-WARM-UP", "13807", 20), "ACCEPTED"); // a cached token, which the bank then revokes
        module.bank().revokeAllTokens();
        module.bank().failPayments("13807", 1, BankSimulator.Fault.retryAfter(503, 0));
        int from = LOGS.text().length();
        module.send(payment("TRACE-ME", "13807", 21), Map.of());
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);
        assertEquals(1, outcomes.accepted().size());
        String requestId = outcomes.accepted().get(0).header("pispRequestId");
        await().atMost(WAIT).until(() -> LOGS.text().substring(from).contains("TRACE-ME accepted"));

        List<String> lines = LOGS.text().substring(from).lines().filter(l -> l.contains("X-Request-ID=" + requestId))
                .toList();
        String story = String.join("\n", lines);
        assertTrue(story.contains("refused token"), "the token refresh:\n" + story);
        assertTrue(story.contains("Obtained token"), "the new token:\n" + story);
        assertTrue(story.contains("On delivery attempt"), "the retry after 503:\n" + story);
        assertTrue(story.contains("TRACE-ME accepted"), "the outcome:\n" + story);
        for (String line : lines) {
            assertTrue(line.contains("paymentInformationId=TRACE-ME cdetab=13807 X-Request-ID=" + requestId
                    + " JMSMessageID=ID:"), line);
        }
        assertFalse(LOGS.text().substring(from).lines().anyMatch(l -> l.contains("TRACE-ME")
                && !l.contains("X-Request-ID=" + requestId)), "a line about the payment without its ids");
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static String payment(String id, String cdetab, long n) {
        return SamplePayments.json(id, SamplePayments.iban(cdetab, n));
    }

    private static void expect(String body, String outcome) throws Exception {
        expect(body, Map.of(), outcome);
    }

    private static void expect(String body, Map<String, Object> headers, String outcome) throws Exception {
        module.send(body, headers);
        PispModule.Outcomes o = module.awaitOutcomes(1, WAIT);
        assertEquals(1, o.total(), "one outcome");
        String got = o.accepted().isEmpty() ? o.failed().get(0).header("pispErrorCode") : "ACCEPTED";
        assertEquals(outcome, got, o.failed().isEmpty() ? "" : o.failed().get(0).header("pispErrorReason"));
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(module.managementUrl() + path))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode check(JsonNode health, String id) {
        for (JsonNode c : health.get("checks")) {
            if (id.equals(c.get("name").asText()) || c.get("name").asText().endsWith(id)) {
                return c;
            }
        }
        throw new AssertionError("no check " + id + " in " + health);
    }

    /** The Prometheus samples: "name{label="v",...}" (labels as served) to value. */
    private static Map<String, Double> scrape() throws IOException, InterruptedException {
        HttpResponse<String> answer = get("/observe/metrics");
        assertEquals(200, answer.statusCode());
        Map<String, Double> samples = new HashMap<>();
        Matcher m = SAMPLE.matcher(answer.body());
        while (m.find()) {
            samples.put(m.group(1) + "{" + (m.group(2) == null ? "" : m.group(2)) + "}", Double.parseDouble(m.group(3)));
        }
        return samples;
    }

    /** The sum of the samples of {@code name} whose labels include the given ones. */
    private static double value(Map<String, Double> samples, String name, String... labels) {
        double sum = 0;
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(name + "{") || e.getValue().isNaN()) {
                continue;
            }
            Map<String, String> have = new HashMap<>();
            Matcher m = LABEL.matcher(key.substring(name.length()));
            while (m.find()) {
                have.put(m.group(1), m.group(2));
            }
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                all &= labels[i + 1].equals(have.get(labels[i]));
            }
            if (all) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    private record Delta(Map<String, Double> before, Map<String, Double> after) {
        double of(String name, String... labels) {
            return value(after, name, labels) - value(before, name, labels);
        }
    }

    private static Path secretFiles() {
        try {
            Path dir = Files.createTempDirectory("pisp-secrets");
            Files.writeString(dir.resolve("pisp.tls.keystore.password"), PKI.qwacPassword + "\n");
            Files.writeString(dir.resolve("pisp.tls.truststore.password"), PKI.truststorePassword + "\n");
            Files.writeString(dir.resolve("pisp.signature.keystore.password"), PKI.qsealcPassword + "\n");
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
