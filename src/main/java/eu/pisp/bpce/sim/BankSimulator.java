package eu.pisp.bpce.sim;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stand-in for the BPCE 89C3 API on 127.0.0.1, for the demo, the tests and the benchmarks: a real HTTP server with
 * the token endpoint and the payment-requests endpoint of every 5-digit establishment under
 * {@code http://127.0.0.1:<port>/<cdetab>}. It checks what a bank checks (grant, scope, bearer token of that very
 * establishment), records what it received, and lets a test inject the faults a bank shows (token revocation, error
 * statuses, slow or missing answers).
 *
 * <p>Like a real bank it can also run over HTTPS and require a client certificate ({@link #startHttps}), and verify the
 * STET HTTP signature of payment requests ({@link #verifySignatures}): both are off unless asked for.
 */
public final class BankSimulator {

    private static final Logger LOG = LoggerFactory.getLogger(BankSimulator.class);
    private static final Pattern PATH = Pattern.compile("^/(\\d{5})(/stet/psd2/.*)$");
    private static final String TOKEN_PATH = "/stet/psd2/oauth/token";
    private static final String PAYMENT_PATH = "/stet/psd2/v1/payment-requests";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Requests kept for inspection by default (tests); benchmarks keep none. */
    private static final int DEFAULT_KEEP_RECEIVED = 50_000;

    /** A fault to answer instead of the normal answer. */
    public record Fault(int status, String message, long delayMs, Integer retryAfterSeconds, boolean dropConnection,
                        String rawBody) {
        public static Fault status(int status, String message) {
            return new Fault(status, message, 0, null, false, null);
        }

        public static Fault retryAfter(int status, int seconds) {
            return new Fault(status, "Service indisponible", 0, seconds, false, null);
        }

        /** Answers this status with this body as it is (not a STET ErrorModel). */
        public static Fault rawAnswer(int status, String body) {
            return new Fault(status, null, 0, null, false, body);
        }

        /** Processes the request, then answers only after a delay (a client timeout makes the outcome unknown). */
        public static Fault slowAnswer(long delayMs) {
            return new Fault(0, null, delayMs, null, false, null);
        }

        /** Processes the request, then closes the connection without answering. */
        public static Fault noAnswer() {
            return new Fault(0, null, 0, null, true, null);
        }
    }

    /** One request as received. */
    public record Received(String method, String path, String query, Map<String, List<String>> headers, String body,
                           Instant at) {
        public String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicLong tokenSerial = new AtomicLong();
    private final Map<String, String> validTokens = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> tokenRequests = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> processedPayments = new ConcurrentHashMap<>();
    private final Map<String, ConcurrentLinkedDeque<Fault>> tokenFaults = new ConcurrentHashMap<>();
    private final Map<String, ConcurrentLinkedDeque<Fault>> paymentFaults = new ConcurrentHashMap<>();
    private final ConcurrentLinkedDeque<Received> received = new ConcurrentLinkedDeque<>();
    private final AtomicInteger receivedCount = new AtomicInteger();
    private volatile int keepReceived = DEFAULT_KEEP_RECEIVED;
    private volatile boolean rememberPayments = true;
    private final Map<String, AtomicInteger> faultsApplied = new ConcurrentHashMap<>();
    private volatile Long expiresIn = 3600L;
    private volatile long paymentLatencyMs;
    /** Extra latency drawn uniformly in [0, jitter) per payment request. */
    private volatile long paymentJitterMs;
    private volatile long tokenLatencyMs;
    private volatile boolean refuseEveryToken;
    private volatile Set<String> unavailable = Set.of();
    private final String scheme;
    private volatile SignatureCheck signatureCheck;
    private volatile Set<String> signatureExempt = Set.of();
    private final AtomicInteger signaturesAccepted = new AtomicInteger();
    private final AtomicInteger signaturesRefused = new AtomicInteger();
    private final Set<String> clientCertificateSubjects = ConcurrentHashMap.newKeySet();

    private BankSimulator(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        this.scheme = server instanceof HttpsServer ? "https" : "http";
    }

    /** Starts a simulator on 127.0.0.1 ({@code port} 0 picks a free one). */
    public static BankSimulator start(int port) throws IOException {
        return start(port, 256);
    }

    public static BankSimulator start(int port, int threads) throws IOException {
        noDelay();
        return start(HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024), threads);
    }

    /**
     * Starts a simulator over HTTPS on 127.0.0.1, TLS 1.2 or 1.3 only. With TLS 1.3 a refused client certificate
     * reaches the client after its handshake is over: as a fatal alert, or as a reset connection when the request was
     * already on its way (as with real servers).
     *
     * @param port            0 picks a free one
     * @param tls             holds the bank's server certificate (key managers) and, for client authentication, the
     *                        CAs of accepted client certificates (trust managers)
     * @param needClientAuth  true: a connection without a client certificate trusted by {@code tls} is refused, as a
     *                        PSD2 bank does for a TPP without its QWAC
     */
    public static BankSimulator startHttps(int port, SSLContext tls, boolean needClientAuth) throws IOException {
        return startHttps(port, tls, needClientAuth, "TLSv1.3", "TLSv1.2");
    }

    /** As {@link #startHttps(int, SSLContext, boolean)}, speaking only these TLS versions (e.g. a TLS 1.2 bank). */
    public static BankSimulator startHttps(int port, SSLContext tls, boolean needClientAuth, String... protocols)
            throws IOException {
        noDelay();
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = tls.getDefaultSSLParameters();
                p.setProtocols(protocols.clone());
                p.setNeedClientAuth(needClientAuth);
                params.setSSLParameters(p);
            }
        });
        return start(server, 64);
    }

    private static void noDelay() {
        // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's delayed ACK:
        // ~40 ms per answer on loopback.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private static BankSimulator start(HttpServer server, int threads) {
        ExecutorService executor = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bank-simulator");
            t.setDaemon(true);
            return t;
        });
        BankSimulator sim = new BankSimulator(server, executor);
        server.createContext("/", sim::handle);
        server.setExecutor(executor);
        server.start();
        LOG.info("Bank simulator listening on {}://127.0.0.1:{}/<cdetab>", sim.scheme, sim.port());
        return sim;
    }

    public void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The value for {@code pisp.aspsp.base-url-template} that points every establishment here. */
    public String baseUrlTemplate() {
        return scheme + "://127.0.0.1:" + port() + "/{cdetab}";
    }

    // ---- fault injection -------------------------------------------------------------------------------------------

    /** The {@code expires_in} of new tokens, in seconds; null leaves it out of the answer. */
    public BankSimulator expiresIn(Long seconds) {
        this.expiresIn = seconds;
        return this;
    }

    public BankSimulator paymentLatency(long ms) {
        return paymentLatency(ms, ms);
    }

    /** Each payment request takes between {@code minMs} and {@code maxMs} before it is processed. */
    public BankSimulator paymentLatency(long minMs, long maxMs) {
        this.paymentLatencyMs = minMs;
        this.paymentJitterMs = Math.max(0, maxMs - minMs);
        return this;
    }

    public BankSimulator tokenLatency(long ms) {
        this.tokenLatencyMs = ms;
        return this;
    }

    /**
     * Whether each processed payment is remembered (the default: counts per payment, 409 on a duplicate). Off for a
     * long benchmark, whose heap measurement should show the module's memory, not the simulator's.
     */
    public BankSimulator rememberPayments(boolean remember) {
        this.rememberPayments = remember;
        return this;
    }

    /** How many received requests {@link #received()} keeps (the oldest go first); 0 keeps none. */
    public BankSimulator keepReceived(int max) {
        this.keepReceived = max;
        return this;
    }

    /** Invalidates every token issued so far: the next payment call with one gets 403 "Token invalide". */
    public void revokeAllTokens() {
        validTokens.clear();
    }

    /** Answers 403 "Token invalide" to every payment request, even with a brand-new token. */
    public void refuseEveryToken(boolean refuse) {
        this.refuseEveryToken = refuse;
    }

    /** The next {@code count} token requests of an establishment ("*" for any) get this fault. */
    public void failTokenRequests(String cdetab, int count, Fault fault) {
        enqueue(tokenFaults, cdetab, count, fault);
    }

    /** The next {@code count} payment requests of an establishment ("*" for any) get this fault. */
    public void failPayments(String cdetab, int count, Fault fault) {
        enqueue(paymentFaults, cdetab, count, fault);
    }

    /** Every request to these establishments is answered 503 until cleared with an empty set. */
    public void makeUnavailable(Set<String> cdetabs) {
        this.unavailable = Set.copyOf(cdetabs);
    }

    /**
     * From now on payment requests must carry a valid STET HTTP signature made with the private key of this public
     * key and naming this keyId (null: any); a bad one is answered 401 (signature, Date) or 400 (Digest) with an
     * ErrorModel body, before the token is looked at. Null turns the check off (the default). Kept by {@link #reset()}.
     */
    public BankSimulator verifySignatures(java.security.PublicKey qsealcPublicKey, String expectedKeyId) {
        this.signatureCheck = qsealcPublicKey == null ? null
                : new SignatureCheck(qsealcPublicKey, expectedKeyId, java.time.Duration.ofMinutes(5));
        return this;
    }

    /** Establishments whose payment requests are not checked for a signature (sandboxes). Kept by {@link #reset()}. */
    public BankSimulator exemptFromSignatures(Set<String> cdetabs) {
        this.signatureExempt = Set.copyOf(cdetabs);
        return this;
    }

    /** Forgets faults, tokens and what was received. */
    public void reset() {
        validTokens.clear();
        tokenRequests.clear();
        processedPayments.clear();
        tokenFaults.clear();
        paymentFaults.clear();
        received.clear();
        receivedCount.set(0);
        signaturesAccepted.set(0);
        signaturesRefused.set(0);
        clientCertificateSubjects.clear();
        faultsApplied.clear();
        expiresIn = 3600L;
        paymentLatencyMs = 0;
        paymentJitterMs = 0;
        tokenLatencyMs = 0;
        refuseEveryToken = false;
        unavailable = Set.of();
    }

    // ---- what was seen ---------------------------------------------------------------------------------------------

    /** How many injected faults were applied, by "token:" or "payment:" and kind (status-503, slow-answer...). */
    public Map<String, Integer> faultsApplied() {
        Map<String, Integer> copy = new HashMap<>();
        faultsApplied.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    public int tokenRequests(String cdetab) {
        AtomicInteger n = tokenRequests.get(cdetab);
        return n == null ? 0 : n.get();
    }

    public int totalTokenRequests() {
        return tokenRequests.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** How many times a payment was processed (passed the token check) per "cdetab/paymentInformationId". */
    public Map<String, Integer> processedPayments() {
        Map<String, Integer> copy = new HashMap<>();
        processedPayments.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    /** The most times one payment (establishment + paymentInformationId) was processed: 1 unless paid twice. */
    public int maxTimesOnePaymentWasProcessed() {
        return processedPayments.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
    }

    public int processedPaymentCount() {
        return processedPayments.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** Every request received, oldest first (bounded). */
    public List<Received> received() {
        return new ArrayList<>(received);
    }

    public int receivedCount() {
        return receivedCount.get();
    }

    /** Payment requests whose signature was checked and found valid (with {@link #verifySignatures}). */
    public int signaturesAccepted() {
        return signaturesAccepted.get();
    }

    /** Payment requests refused for their signature, Digest or Date. */
    public int signaturesRefused() {
        return signaturesRefused.get();
    }

    /** Subjects of the client certificates presented on HTTPS requests. */
    public Set<String> clientCertificateSubjects() {
        return Set.copyOf(clientCertificateSubjects);
    }

    // ---- the endpoints ---------------------------------------------------------------------------------------------

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = readAll(ex.getRequestBody());
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            record(ex, path, query, body);
            if (ex instanceof HttpsExchange https) {
                try {
                    clientCertificateSubjects.add(https.getSSLSession().getPeerPrincipal().getName());
                } catch (SSLPeerUnverifiedException noClientCertificate) {
                    // only possible without needClientAuth
                }
            }
            Matcher m = PATH.matcher(path);
            if (!m.matches()) {
                respond(ex, 404, error(404, "Not Found", "Unknown resource", path), null);
                return;
            }
            String cdetab = m.group(1);
            String resource = m.group(2);
            if (unavailable.contains(cdetab)) {
                respond(ex, 503, error(503, "Service Unavailable", "Service indisponible", path), null);
                return;
            }
            if (resource.equals(TOKEN_PATH) && ex.getRequestMethod().equals("POST")) {
                token(ex, cdetab, query, body);
            } else if (resource.equals(PAYMENT_PATH) && ex.getRequestMethod().equals("POST")) {
                if (!signatureAccepted(ex, cdetab, path, query, body)) {
                    return;
                }
                payment(ex, cdetab, path, body);
            } else {
                respond(ex, 404, error(404, "Not Found", "Unknown resource", path), null);
            }
        } catch (RuntimeException e) {
            LOG.warn("Bank simulator failed on {}: {}", ex.getRequestURI(), e.toString());
        }
    }

    private void token(HttpExchange ex, String cdetab, String query, byte[] body) throws IOException {
        tokenRequests.computeIfAbsent(cdetab, k -> new AtomicInteger()).incrementAndGet();
        sleep(tokenLatencyMs);
        Fault fault = next(tokenFaults, cdetab);
        if (fault != null && applyFault(ex, fault, "/" + cdetab + TOKEN_PATH, "token")) {
            return;
        }
        Map<String, String> params = new HashMap<>(form(query));
        String contentType = ex.getRequestHeaders().getFirst("Content-Type");
        if (body.length > 0 && contentType != null && contentType.startsWith("application/x-www-form-urlencoded")) {
            params.putAll(form(new String(body, StandardCharsets.UTF_8)));
        }
        if (!"client_credentials".equals(params.get("grant_type")) || !"pisp".equals(params.get("scope"))
                || params.getOrDefault("client_id", "").isBlank()) {
            respond(ex, 400, "{\"error\":\"invalid_request\",\"error_description\":\"grant_type=client_credentials, "
                    + "client_id and scope=pisp are required\"}", null);
            return;
        }
        String token = "sim-" + cdetab + "-" + tokenSerial.incrementAndGet() + "-" + UUID.randomUUID();
        validTokens.put(token, cdetab);
        Long life = expiresIn;
        String answer = "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\","
                + (life == null ? "" : "\"expires_in\":" + life + ",") + "\"scope\":\"pisp\"}";
        respond(ex, 200, answer, null);
    }

    private void payment(HttpExchange ex, String cdetab, String path, byte[] body) throws IOException {
        long jitter = paymentJitterMs;
        sleep(paymentLatencyMs + (jitter > 0 ? java.util.concurrent.ThreadLocalRandom.current().nextLong(jitter) : 0));
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String token = auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : null;
        if (refuseEveryToken || token == null || !cdetab.equals(validTokens.get(token))) {
            respond(ex, 403, error(403, "Forbidden", "Token invalide", path), null);
            return;
        }
        Fault fault = next(paymentFaults, cdetab);
        if (fault != null && fault.status() > 0 && applyFault(ex, fault, path, "payment")) {
            return; // a refusal: not processed
        }
        String requestId = ex.getRequestHeaders().getFirst("X-Request-ID");
        String contentType = ex.getRequestHeaders().getFirst("Content-Type");
        if (requestId == null || contentType == null || !contentType.startsWith("application/json")) {
            respond(ex, 400, error(400, "Bad Request", "X-Request-ID and Content-Type application/json are required",
                    path), null);
            return;
        }
        String pid;
        try {
            JsonNode n = JSON.readTree(body);
            pid = n.path("paymentInformationId").asText(null);
        } catch (IOException e) {
            pid = null;
        }
        if (pid == null) {
            respond(ex, 400, error(400, "Bad Request", "Requête invalide", path), null);
            return;
        }
        int seen = rememberPayments
                ? processedPayments.computeIfAbsent(cdetab + "/" + pid, k -> new AtomicInteger()).incrementAndGet() : 1;
        if (fault != null && applyFault(ex, fault, path, "payment")) {
            return; // processed, but the answer is slow or missing
        }
        if (seen > 1) {
            respond(ex, 409, error(409, "Conflict", "Paiement en double", path), null);
            return;
        }
        String resourceId = UUID.randomUUID().toString().replace("-", "");
        String consent = "https://www." + cdetab + ".live.api.89c3.com/89c3api/accueil?paymentRequestRessourceId="
                + resourceId + "&nonce=" + UUID.randomUUID().toString().substring(0, 8);
        respond(ex, 201, "{\"appliedAuthenticationApproach\":\"REDIRECT\",\"_links\":{\"consentApproval\":{\"href\":\""
                + consent + "\"}}}", "/" + cdetab + PAYMENT_PATH + "/" + resourceId);
    }

    /** True when the signature is not checked or is valid; otherwise answers the refusal and returns false. */
    private boolean signatureAccepted(HttpExchange ex, String cdetab, String path, String query, byte[] body)
            throws IOException {
        SignatureCheck check = signatureCheck;
        if (check == null || signatureExempt.contains(cdetab)) {
            return true;
        }
        String target = query == null ? path : path + "?" + query;
        SignatureCheck.Failure failure = check.check(ex.getRequestMethod(), target, ex.getRequestHeaders(), body);
        if (failure == null) {
            signaturesAccepted.incrementAndGet();
            return true;
        }
        signaturesRefused.incrementAndGet();
        String error = failure.status() == 400 ? "Bad Request" : "Unauthorized";
        respond(ex, failure.status(), error(failure.status(), error, failure.message(), path), null);
        return false;
    }

    /** Applies a fault; false when the fault only delays and the normal answer should follow. */
    private boolean applyFault(HttpExchange ex, Fault fault, String path, String endpoint) throws IOException {
        String kind = fault.dropConnection() ? "no-answer" : fault.status() > 0 ? "status-" + fault.status()
                : "slow-answer";
        faultsApplied.computeIfAbsent(endpoint + ":" + kind, k -> new AtomicInteger()).incrementAndGet();
        sleep(fault.delayMs());
        if (fault.dropConnection()) {
            // Closing without a status line: the client sees the connection end with no answer.
            ex.getResponseBody().close();
            ex.close();
            return true;
        }
        if (fault.status() > 0) {
            if (fault.retryAfterSeconds() != null) {
                ex.getResponseHeaders().add("Retry-After", String.valueOf(fault.retryAfterSeconds()));
            }
            respond(ex, fault.status(), fault.rawBody() != null ? fault.rawBody()
                    : error(fault.status(), "Error", fault.message(), path), null);
            return true;
        }
        return false;
    }

    private static String error(int status, String error, String message, String path) {
        return "{\"timestamp\":\"" + Instant.now() + "\",\"status\":" + status + ",\"error\":\"" + error
                + "\",\"message\":\"" + (message == null ? "" : message.replace("\"", "'")) + "\",\"path\":\""
                + path + "\"}";
    }

    private void record(HttpExchange ex, String path, String query, byte[] body) {
        if (keepReceived == 0) {
            receivedCount.incrementAndGet();
            return;
        }
        Map<String, List<String>> headers = new HashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
        received.add(new Received(ex.getRequestMethod(), path, query, headers,
                new String(body, StandardCharsets.UTF_8), Instant.now()));
        if (receivedCount.incrementAndGet() > keepReceived) {
            received.pollFirst();
        }
    }

    private static void respond(HttpExchange ex, int status, String json, String location) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json;charset=UTF-8");
        if (location != null) {
            ex.getResponseHeaders().add("Location", location);
        }
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void enqueue(Map<String, ConcurrentLinkedDeque<Fault>> faults, String cdetab, int count, Fault f) {
        ConcurrentLinkedDeque<Fault> q = faults.computeIfAbsent(cdetab, k -> new ConcurrentLinkedDeque<>());
        for (int i = 0; i < count; i++) {
            q.add(f);
        }
    }

    private static Fault next(Map<String, ConcurrentLinkedDeque<Fault>> faults, String cdetab) {
        ConcurrentLinkedDeque<Fault> q = faults.get(cdetab);
        Fault f = q == null ? null : q.pollFirst();
        if (f == null) {
            q = faults.get("*");
            f = q == null ? null : q.pollFirst();
        }
        return f;
    }

    private static Map<String, String> form(String s) {
        Map<String, String> out = new HashMap<>();
        if (s == null || s.isEmpty()) {
            return out;
        }
        for (String pair : s.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k.toLowerCase(Locale.ROOT), v);
        }
        return out;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    private static void sleep(long ms) {
        if (ms > 0) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
