package eu.pisp.bpce.sim;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 *
 * <p>The payment-requests resource is served under {@code /<cdetab>/stet/psd2/v1}, {@code .../v1.4.2} and
 * {@code .../v1.6.2} ({@link StetApiVersion}). Each accepted payment request is kept (bounded, {@link
 * #keepPaymentRequests}) and moves like at a bank: {@code RCVD} until the customer approves ({@link
 * #customerApprovesAfter}, {@link #approve}), then {@code ACSP}, then {@code ACSC} once executed ({@link
 * #executionAfter}; a deferred payment not before its requested execution date); or {@code RJCT} with a reason
 * ({@link #reject}, {@link #rejectWhen}, {@link #customerNeverAnswers}: NOAS). The status is computed when it is read:
 * no thread runs. {@code GET .../payment-requests/{id}} reads it, {@code PUT} cancels a deferred payment or a standing
 * order (then {@code RJCT} DS02 on v1, {@code CANC} on the newer versions, once the customer approved the
 * cancellation), {@code POST .../confirmation} confirms (v1.6.2 only; 405 on the others). Nothing moves unless
 * configured: by default the customer never answers.
 */
public final class BankSimulator {

    private static final Logger LOG = LoggerFactory.getLogger(BankSimulator.class);
    private static final Pattern PATH = Pattern.compile("^/(\\d{5})(/stet/psd2/.*)$");
    private static final String TOKEN_PATH = "/stet/psd2/oauth/token";
    /** {@code /stet/psd2/<version>/payment-requests[/<id>[/confirmation]]}. */
    private static final Pattern PAYMENT_REQUESTS = Pattern.compile(
            "^/stet/psd2/(v1|v1\\.4\\.2|v1\\.6\\.2)/payment-requests(?:/([^/]+)(/confirmation)?)?/?$");
    private static final ZoneId BANK_ZONE = ZoneId.of("Europe/Paris");
    /** Top-level fields the simulator adds to a payment request it returns: a PUT may carry them back. */
    private static final Set<String> ADDED_FIELDS = Set.of("resourceId", "paymentInformationStatus",
            "statusReasonInformation");
    /** Per-transaction fields the simulator adds (or a cancellation of single instructions sets). */
    private static final Set<String> ADDED_TRANSACTION_FIELDS = Set.of("transactionStatus", "statusReasonInformation");
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

        /**
         * BPCE's rate limiting: 403 with a STET error whose {@code message} carries {@code TMRQ}
         * ({@code {"status":403,"error":"Forbidden","message":"TMRQ - Too many requests",...}}). Not processed.
         */
        public static Fault rateLimited() {
            return new Fault(403, "TMRQ - Too many requests", 0, null, false, null);
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

    // ---- the life of payment requests (all computed when read; see StoredPaymentRequest) ----
    private final PaymentRequestStore paymentRequests = new PaymentRequestStore();
    private final Map<String, ConcurrentLinkedDeque<Fault>> statusReadFaults = new ConcurrentHashMap<>();
    private final Map<String, ConcurrentLinkedDeque<Fault>> cancellationFaults = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> statusReads = new ConcurrentHashMap<>();
    private final AtomicInteger cancellations = new AtomicInteger();
    private final AtomicInteger acceptedCancellations = new AtomicInteger();
    private final AtomicInteger confirmations = new AtomicInteger();
    private final List<RejectionRule> rejectionRules = new CopyOnWriteArrayList<>();
    private volatile Clock clock = Clock.systemUTC();
    private volatile Duration customerApprovesAfter;
    private volatile Duration executionAfter;
    private volatile Duration customerNeverAnswersAfter;
    private volatile boolean deferredExecutionOnItsDate = true;
    private volatile long statusReadLatencyMs;

    /** A rejection decided when a payment request arrives. */
    private record RejectionRule(Predicate<JsonNode> when, String reason, Duration after) {
    }

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

    /**
     * Invalidates every token issued so far: the next payment-requests call with one (POST, GET, PUT, confirmation)
     * gets 403 "Token invalide".
     */
    public void revokeAllTokens() {
        validTokens.clear();
    }

    /** Answers 403 "Token invalide" to every payment-requests call, even with a brand-new token. */
    public void refuseEveryToken(boolean refuse) {
        this.refuseEveryToken = refuse;
    }

    /** The next {@code count} token requests of an establishment ("*" for any) get this fault. */
    public void failTokenRequests(String cdetab, int count, Fault fault) {
        enqueue(tokenFaults, cdetab, count, fault);
    }

    /**
     * The next {@code count} payment requests (POST .../payment-requests) of an establishment ("*" for any) get this
     * fault: a status fault is answered instead (not processed); a slow or missing answer comes after processing.
     */
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


    // ---- the life of payment requests ------------------------------------------------------------------------------

    /**
     * How many accepted payment requests are kept for GET, PUT and confirmation (default 50,000): the oldest are
     * forgotten first (then 404). Each keeps its body bytes once, as received. 0 keeps none. Kept by {@link #reset()}.
     */
    private volatile java.util.function.Predicate<String> keepOnly = pid -> true;

    public BankSimulator keepPaymentRequests(int max) {
        paymentRequests.max(max);
        return this;
    }

    /**
     * Only payment requests whose paymentInformationId matches are kept (default: all). A benchmark keeps the few it
     * tracks, not the hundreds of thousands it sends. Kept by {@link #reset()}.
     */
    public BankSimulator keepPaymentRequestsOnly(java.util.function.Predicate<String> paymentInformationId) {
        this.keepOnly = Objects.requireNonNull(paymentInformationId);
        return this;
    }

    /** The clock that dates arrivals and decides statuses and "today" (default: the system clock). Kept by reset. */
    public BankSimulator clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock);
        return this;
    }

    /**
     * The customer of every payment request arriving from now on approves it this long after it arrived (RCVD ->
     * ACSP), and approves a cancellation this long after it was asked. Null (the default): the customer never acts
     * by itself ({@link #approve}, {@link #approveCancellation}).
     */
    public BankSimulator customerApprovesAfter(Duration delay) {
        this.customerApprovesAfter = delay;
        return this;
    }

    /**
     * The bank executes a payment request arriving from now on (ACSP -> ACSC) this long after the customer approved
     * it; a deferred payment or standing order not before its requested execution date (see
     * {@link #executeDeferredOnTheirDate}). Null (the default): never by itself ({@link #execute}).
     */
    public BankSimulator executionAfter(Duration delay) {
        this.executionAfter = delay;
        return this;
    }

    /**
     * True (the default): a payment request with a requested execution date is not executed before that date, so a
     * deferred payment stays ACSP (and cancellable) until then. False: executed after {@link #executionAfter} anyway.
     */
    public BankSimulator executeDeferredOnTheirDate(boolean onTheirDate) {
        this.deferredExecutionOnItsDate = onTheirDate;
        return this;
    }

    /**
     * Payment requests arriving from now on that match are rejected (RJCT with this reason, e.g. AM04 or CUST) this
     * long after they arrived, unless already final; a rejection also stops an approved (ACSP) one. The first
     * matching rule applies. The predicate gets the request JSON as received.
     */
    public BankSimulator rejectWhen(Predicate<JsonNode> onTheRequest, String reason, Duration after) {
        rejectionRules.add(new RejectionRule(Objects.requireNonNull(onTheRequest), Objects.requireNonNull(reason),
                after == null ? Duration.ZERO : after));
        return this;
    }

    /**
     * Payment requests arriving from now on that are not approved within this delay are rejected RJCT NOAS (no
     * answer from the customer). Null (the default): they wait for ever.
     */
    public BankSimulator customerNeverAnswers(Duration noasAfter) {
        this.customerNeverAnswersAfter = noasAfter;
        return this;
    }

    /** Each status read (GET) takes this long before it is answered. */
    public BankSimulator statusReadLatency(long ms) {
        this.statusReadLatencyMs = ms;
        return this;
    }

    /**
     * The demo's bank: customers approve after 3 s, execution 3 s later, and the sample payment paid to
     * {@value SamplePayments#REJECTED_CREDITOR_NAME} ({@link SamplePayments#rejectedJson}, {@link
     * SamplePayments#demo}) rejected CUST (refused by the customer) 3 s after it arrived. A deferred sample stays ACSP until its date.
     */
    public BankSimulator demoBehaviour() {
        return customerApprovesAfter(Duration.ofSeconds(3))
                .executionAfter(Duration.ofSeconds(3))
                .rejectWhen(SamplePayments::isDemoRejection, "CUST", Duration.ofSeconds(3));
    }

    /** {@code bank.demoBehaviour()}. */
    public static BankSimulator demoLifecycle(BankSimulator bank) {
        return bank.demoBehaviour();
    }

    /** The customer approves this payment request now (RCVD -> ACSP). False when unknown or not RCVD. */
    public boolean approve(String resourceId) {
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        return r != null && r.add(clock.millis(), StoredPaymentRequest.Kind.APPROVE, null, null, -1,
                st -> st.status().equals("RCVD"));
    }

    /** The customer or the bank rejects it now (RJCT with this reason, e.g. CUST). False when unknown or final. */
    public boolean reject(String resourceId, String reason) {
        Objects.requireNonNull(reason, "reason");
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        return r != null && r.add(clock.millis(), StoredPaymentRequest.Kind.REJECT, "RJCT", reason, -1,
                st -> !st.isFinal());
    }

    /** The bank executes it now (ACSP -> ACSC). False when unknown or not ACSP. */
    public boolean execute(String resourceId) {
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        return r != null && r.add(clock.millis(), StoredPaymentRequest.Kind.EXECUTE, null, null, -1,
                st -> st.status().equals("ACSP"));
    }

    /**
     * The customer approves the pending cancellation now: RJCT DS02 (v1) or CANC DS02 (v1.4.2, v1.6.2). False when
     * unknown or no cancellation is pending.
     */
    public boolean approveCancellation(String resourceId) {
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        return r != null && r.add(clock.millis(), StoredPaymentRequest.Kind.CANCEL_APPROVE, "ADMIN", null, -1,
                StoredPaymentRequest.State::cancellationPending);
    }

    /**
     * The next {@code count} status reads (GET .../payment-requests/{id}) of an establishment ("*" for any) get this
     * fault, after the token check: e.g. {@code Fault.retryAfter(429, 2)}, {@code Fault.status(500, ...)},
     * {@link Fault#rateLimited()}, {@link Fault#slowAnswer}, {@link Fault#noAnswer()}.
     */
    public void failStatusReads(String cdetab, int count, Fault fault) {
        enqueue(statusReadFaults, cdetab, count, fault);
    }

    /**
     * The next {@code count} cancellations (PUT .../payment-requests/{id}) of an establishment ("*" for any) get this
     * fault, after the token check: a status fault is answered instead (not processed); a slow or missing answer
     * comes after the cancellation was recorded.
     */
    public void failCancellations(String cdetab, int count, Fault fault) {
        enqueue(cancellationFaults, cdetab, count, fault);
    }

    /**
     * Forgets faults, tokens and what was received; also the kept payment requests, the lifecycle settings
     * ({@link #customerApprovesAfter}, {@link #executionAfter}, {@link #customerNeverAnswers}, {@link #rejectWhen}),
     * the status-read and cancellation faults and their counters. Keeps the signature check, {@link #keepReceived},
     * {@link #keepPaymentRequests}, {@link #rememberPayments} and the {@link #clock}.
     */
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
        paymentRequests.clear();
        statusReadFaults.clear();
        cancellationFaults.clear();
        statusReads.clear();
        cancellations.set(0);
        acceptedCancellations.set(0);
        confirmations.set(0);
        rejectionRules.clear();
        customerApprovesAfter = null;
        executionAfter = null;
        customerNeverAnswersAfter = null;
        deferredExecutionOnItsDate = true;
        statusReadLatencyMs = 0;
    }

    // ---- what was seen ---------------------------------------------------------------------------------------------

    /**
     * How many injected faults were applied, by "token:", "payment:", "status:" or "cancellation:" and kind
     * (status-503, slow-answer...).
     */
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

    /** The status ({@code paymentInformationStatus}) of a kept payment request now, or null when unknown. */
    public String statusOf(String resourceId) {
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        return r == null ? null : r.stateAt(clock.millis()).status();
    }

    /** Its {@code statusReasonInformation} now (with RJCT or CANC), or null. */
    public String statusReasonOf(String resourceId) {
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        return r == null ? null : r.stateAt(clock.millis()).reason();
    }

    /** The {@code transactionStatus} of its transactions now (PDNG, ACSP, ACSC or RJCT), or null when unknown. */
    public String transactionStatusOf(String resourceId) {
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        return r == null ? null : r.stateAt(clock.millis()).transactionStatus();
    }

    /** Whether a cancellation was accepted (PUT 200) and awaits the customer's approval. */
    public boolean cancellationPending(String resourceId) {
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        return r != null && r.stateAt(clock.millis()).cancellationPending();
    }

    /** The STET version of the path the payment request was posted to, or null when unknown. */
    public StetApiVersion stetVersionOf(String resourceId) {
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        return r == null ? null : r.version;
    }

    /** The resource id the simulator gave this establishment's payment request, or null (a scan: for tests). */
    public String resourceIdOf(String cdetab, String paymentInformationId) {
        StoredPaymentRequest r = stored(cdetab, paymentInformationId);
        return r == null ? null : r.resourceId;
    }

    /** This establishment's payment request with this paymentInformationId, or null (a scan: for tests). */
    private StoredPaymentRequest stored(String cdetab, String paymentInformationId) {
        for (StoredPaymentRequest r : paymentRequests.all()) {
            if (r.cdetab.equals(cdetab) && r.paymentInformationId.equals(paymentInformationId)) {
                return r;
            }
        }
        return null;
    }

    /** How many payment requests are kept. */
    public int storedPaymentRequests() {
        return paymentRequests.size();
    }

    /** Status reads (GET .../payment-requests/{id}) received for this establishment, whatever their answer. */
    public int statusReads(String cdetab) {
        AtomicInteger n = statusReads.get(cdetab);
        return n == null ? 0 : n.get();
    }

    /**
     * The paymentInformationStatus of every status read of one payment the bank answered, in order (a copy): what a
     * client following the payment can have seen.
     */
    public List<String> statusesAnswered(String cdetab, String paymentInformationId) {
        StoredPaymentRequest r = stored(cdetab, paymentInformationId);
        return r == null ? List.of() : r.statusesRead();
    }

    public int totalStatusReads() {
        return statusReads.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** Cancellations (PUT .../payment-requests/{id}) received, whatever their answer. */
    public int cancellations() {
        return cancellations.get();
    }

    /** Cancellations answered 200 (accepted, awaiting or past the customer's approval). */
    public int acceptedCancellations() {
        return acceptedCancellations.get();
    }

    /** Confirmations (POST .../payment-requests/{id}/confirmation) received, whatever their answer (405 included). */
    public int confirmations() {
        return confirmations.get();
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
                respond(ex, 404, error(404, "Unknown resource", path), null);
                return;
            }
            String cdetab = m.group(1);
            String resource = m.group(2);
            if (unavailable.contains(cdetab)) {
                respond(ex, 503, error(503, "Service indisponible", path), null);
                return;
            }
            String method = ex.getRequestMethod();
            if (resource.equals(TOKEN_PATH) && method.equals("POST")) {
                token(ex, cdetab, query, body);
                return;
            }
            Matcher p = PAYMENT_REQUESTS.matcher(resource);
            if (!p.matches()) {
                respond(ex, 404, error(404, "Unknown resource", path), null);
                return;
            }
            StetApiVersion version = StetApiVersion.ofPathSegment(p.group(1));
            String base = "/" + cdetab + version.basePath() + "/payment-requests";
            String resourceId = p.group(2);
            if (resourceId == null) {
                if (!method.equals("POST")) {
                    respond(ex, 405, error(405, "Method Not Allowed", path), null);
                } else if (signatureAccepted(ex, cdetab, path, query, body)) {
                    payment(ex, cdetab, version, base, path, body);
                }
            } else if (p.group(3) != null) {
                confirmations.incrementAndGet();
                if (!method.equals("POST")) {
                    respond(ex, 405, error(405, "Method Not Allowed", path), null);
                } else if (!version.hasConfirmation()) {
                    respond(ex, 405, error(405, "Confirmation non disponible en STET " + version.version()
                            + (version == StetApiVersion.V1_4_2 ? " (o-confirmation, avec un jeton client)" : ""),
                            path), null);
                } else if (signatureAccepted(ex, cdetab, path, query, body)) {
                    confirm(ex, cdetab, version, base, resourceId, path, body);
                }
            } else if (method.equals("GET")) {
                statusReads.computeIfAbsent(cdetab, k -> new AtomicInteger()).incrementAndGet();
                if (signatureAccepted(ex, cdetab, path, query, body)) {
                    statusRead(ex, cdetab, version, base, resourceId, path);
                }
            } else if (method.equals("PUT")) {
                cancellations.incrementAndGet();
                if (signatureAccepted(ex, cdetab, path, query, body)) {
                    cancel(ex, cdetab, version, resourceId, path, body);
                }
            } else {
                respond(ex, 405, error(405, "Method Not Allowed", path), null);
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

    /** True when the bearer token is one this establishment issued; otherwise answers 403 "Token invalide". */
    private boolean tokenAccepted(HttpExchange ex, String cdetab, String path) throws IOException {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String token = auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : null;
        if (refuseEveryToken || token == null || !cdetab.equals(validTokens.get(token))) {
            respond(ex, 403, error(403, "Token invalide", path), null);
            return false;
        }
        return true;
    }

    /** True with an X-Request-ID (and a JSON Content-Type when {@code json}); otherwise answers 400. */
    private static boolean headersPresent(HttpExchange ex, String path, boolean json) throws IOException {
        String requestId = ex.getRequestHeaders().getFirst("X-Request-ID");
        String contentType = ex.getRequestHeaders().getFirst("Content-Type");
        if (requestId == null || json && (contentType == null || !contentType.startsWith("application/json"))) {
            respond(ex, 400, error(400, json ? "X-Request-ID and Content-Type application/json are required"
                    : "X-Request-ID is required", path), null);
            return false;
        }
        return true;
    }

    private void payment(HttpExchange ex, String cdetab, StetApiVersion version, String base, String path,
                         byte[] body) throws IOException {
        long jitter = paymentJitterMs;
        sleep(paymentLatencyMs + (jitter > 0 ? java.util.concurrent.ThreadLocalRandom.current().nextLong(jitter) : 0));
        if (!tokenAccepted(ex, cdetab, path)) {
            return;
        }
        Fault fault = next(paymentFaults, cdetab);
        if (fault != null && fault.status() > 0 && applyFault(ex, fault, path, "payment")) {
            return; // a refusal: not processed
        }
        if (!headersPresent(ex, path, true)) {
            return;
        }
        JsonNode n;
        String pid;
        try {
            n = JSON.readTree(body);
            pid = n == null ? null : n.path("paymentInformationId").asText(null);
        } catch (IOException e) {
            n = null;
            pid = null;
        }
        if (pid == null || !n.isObject()) {
            respond(ex, 400, error(400, "Requête invalide", path), null);
            return;
        }
        int seen = rememberPayments
                ? processedPayments.computeIfAbsent(cdetab + "/" + pid, k -> new AtomicInteger()).incrementAndGet() : 1;
        String resourceId = UUID.randomUUID().toString().replace("-", "");
        if (seen == 1) {
            keep(resourceId, cdetab, pid, version, body, n);
        }
        if (fault != null && applyFault(ex, fault, path, "payment")) {
            return; // processed, but the answer is slow or missing
        }
        if (seen > 1) {
            respond(ex, 409, error(409, "Paiement en double", path), null);
            return;
        }
        respond(ex, 201, "{\"appliedAuthenticationApproach\":\"REDIRECT\",\"_links\":{\"consentApproval\":{\"href\":\""
                + consentLink(cdetab, resourceId, false) + "\"}}}", base + "/" + resourceId);
    }

    private static String consentLink(String cdetab, String resourceId, boolean cancellation) {
        return "https://www." + cdetab + ".live.api.89c3.com/89c3api/accueil?paymentRequestRessourceId="
                + resourceId + "&nonce=" + UUID.randomUUID().toString().substring(0, 8)
                + (cancellation ? "&operation=annulation" : "");
    }

    /** Keeps an accepted payment request with its script, from the settings of now. */
    private void keep(String resourceId, String cdetab, String pid, StetApiVersion version, byte[] body,
                      JsonNode request) {
        long now = clock.millis();
        RejectionRule rule = null;
        for (RejectionRule r : rejectionRules) {
            try {
                if (r.when().test(request)) {
                    rule = r;
                    break;
                }
            } catch (RuntimeException e) {
                LOG.warn("Bank simulator rejection rule failed: {}", e.toString());
            }
        }
        boolean instant = "INST".equals(request.path("paymentTypeInformation").path("localInstrument").asText());
        boolean standingOrder = hasAny(request, "frequency", "endDate", "executionRule");
        OffsetDateTime requested = earliestExecutionDate(request);
        StoredPaymentRequest.Timing timing = instant ? StoredPaymentRequest.Timing.INSTANT
                : standingOrder ? StoredPaymentRequest.Timing.STANDING_ORDER : StoredPaymentRequest.Timing.SINGLE;
        Duration approve = customerApprovesAfter;
        Duration noas = customerNeverAnswersAfter;
        Duration execution = executionAfter;
        long notBefore = deferredExecutionOnItsDate && requested != null && !instant
                ? requested.toInstant().toEpochMilli() : -1;
        if (keepOnly.test(pid)) {
            paymentRequests.add(new StoredPaymentRequest(resourceId, cdetab.intern(), pid, version, body, now, timing,
                    requested == null ? null : requested.toLocalDate(),
                    approve == null ? -1 : now + approve.toMillis(),
                    rule == null ? -1 : now + rule.after().toMillis(), rule == null ? null : rule.reason(),
                    noas == null ? -1 : now + noas.toMillis(),
                    execution == null ? -1 : execution.toMillis(), notBefore));
        }
    }

    private static boolean hasAny(JsonNode request, String... fields) {
        for (String f : fields) {
            if (present(request.get(f))) {
                return true;
            }
            for (JsonNode tx : request.path("creditTransferTransaction")) {
                if (present(tx.get(f))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean present(JsonNode n) {
        return n != null && !n.isNull() && !(n.isTextual() && n.asText().isBlank());
    }

    /** The earliest {@code requestedExecutionDate}, at payment or transaction level, or null. */
    private static OffsetDateTime earliestExecutionDate(JsonNode request) {
        OffsetDateTime earliest = executionDate(request.get("requestedExecutionDate"));
        for (JsonNode tx : request.path("creditTransferTransaction")) {
            OffsetDateTime d = executionDate(tx.get("requestedExecutionDate"));
            if (d != null && (earliest == null || d.isBefore(earliest))) {
                earliest = d;
            }
        }
        return earliest;
    }

    private static OffsetDateTime executionDate(JsonNode n) {
        if (n == null || !n.isTextual()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(n.asText());
        } catch (DateTimeParseException notADateTime) {
            try {
                return LocalDate.parse(n.asText()).atStartOfDay(BANK_ZONE).toOffsetDateTime();
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    /** The kept payment request of this establishment, or null after answering 404. */
    private StoredPaymentRequest find(HttpExchange ex, String cdetab, String resourceId, String path)
            throws IOException {
        StoredPaymentRequest r = paymentRequests.get(resourceId);
        if (r == null || !r.cdetab.equals(cdetab)) {
            respond(ex, 404, error(404, "Demande de paiement inconnue", path), null);
            return null;
        }
        return r;
    }

    private void statusRead(HttpExchange ex, String cdetab, StetApiVersion version, String base, String resourceId,
                            String path) throws IOException {
        sleep(statusReadLatencyMs);
        if (!tokenAccepted(ex, cdetab, path)) {
            return;
        }
        Fault fault = next(statusReadFaults, cdetab);
        if (fault != null && applyFault(ex, fault, path, "status")) {
            return; // refused, or no answer; a slow answer goes on after its delay
        }
        if (!headersPresent(ex, path, false)) {
            return;
        }
        StoredPaymentRequest r = find(ex, cdetab, resourceId, path);
        if (r != null) {
            respond(ex, 200, halPaymentRequest(r, r.readStatus(clock.millis()), version, base), null);
        }
    }

    /**
     * {@code {"paymentRequest": <the request as received + resourceId, paymentInformationStatus,
     * statusReasonInformation, creditTransferTransaction[].transactionStatus>, "_links": {"self": ..., "confirmation": ...}}}.
     */
    private String halPaymentRequest(StoredPaymentRequest r, StoredPaymentRequest.State state, StetApiVersion version,
                                     String base) throws IOException {
        ObjectNode received = (ObjectNode) JSON.readTree(r.body);
        ObjectNode request = JSON.createObjectNode();
        request.put("resourceId", r.resourceId);
        ADDED_FIELDS.forEach(received::remove);
        request.setAll(received);
        request.put("paymentInformationStatus", state.status());
        if (state.reason() != null) {
            request.put("statusReasonInformation", state.reason());
        }
        for (JsonNode tx : request.path("creditTransferTransaction")) {
            if (tx instanceof ObjectNode t) {
                t.put("transactionStatus", state.transactionStatus());
            }
        }
        ObjectNode hal = JSON.createObjectNode();
        hal.set("paymentRequest", request);
        ObjectNode links = hal.putObject("_links");
        links.putObject("self").put("href", base + "/" + r.resourceId);
        if (version.hasConfirmation() && !state.confirmed() && !state.isFinal()) {
            links.putObject("confirmation").put("href", base + "/" + r.resourceId + "/confirmation");
        }
        return JSON.writeValueAsString(hal);
    }

    private void cancel(HttpExchange ex, String cdetab, StetApiVersion version, String resourceId, String path,
                        byte[] body) throws IOException {
        if (!tokenAccepted(ex, cdetab, path)) {
            return;
        }
        Fault fault = next(cancellationFaults, cdetab);
        if (fault != null && fault.status() > 0 && applyFault(ex, fault, path, "cancellation")) {
            return; // a refusal: not processed
        }
        if (!headersPresent(ex, path, true)) {
            return;
        }
        StoredPaymentRequest r = find(ex, cdetab, resourceId, path);
        if (r == null) {
            return;
        }
        JsonNode asked;
        try {
            asked = JSON.readTree(body);
        } catch (IOException e) {
            asked = null;
        }
        if (asked == null || !asked.isObject()) {
            respond(ex, 400, error(400, "Requête invalide", path), null);
            return;
        }
        String refusal = cancellationRefusal(r, version, (ObjectNode) asked);
        if (refusal != null) {
            respond(ex, 400, error(400, refusal, path), null);
            return;
        }
        String reason = reasonCode(asked.get("statusReasonInformation"));
        Duration approve = customerApprovesAfter;
        if (!r.add(clock.millis(), StoredPaymentRequest.Kind.CANCEL_REQUEST, version.cancelledStatus(), reason,
                approve == null ? -1 : approve.toMillis(), st -> !st.isFinal())) {
            respond(ex, 400, error(400, "Annulation impossible: la demande de paiement est au statut final "
                    + r.stateAt(clock.millis()).status(), path), null);
            return;
        }
        acceptedCancellations.incrementAndGet();
        if (fault != null && applyFault(ex, fault, path, "cancellation")) {
            return; // processed, but the answer is slow or missing
        }
        respond(ex, 200, "{\"appliedAuthenticationApproach\":\"REDIRECT\",\"_links\":{\"consentApproval\":{\"href\":\""
                + consentLink(cdetab, resourceId, true) + "\"}}}", null);
    }

    /** Why this PUT cannot cancel the payment request, or null when it can. */
    private String cancellationRefusal(StoredPaymentRequest r, StetApiVersion version, ObjectNode asked)
            throws IOException {
        String status = asked.path("paymentInformationStatus").asText(null);
        if (!version.cancelledStatus().equals(status)) {
            return "Annulation: paymentInformationStatus doit valoir " + version.cancelledStatus() + " (STET "
                    + version.version() + ")";
        }
        String reason = reasonCode(asked.get("statusReasonInformation"));
        if (reason == null || !version.cancellationReasons().contains(reason)) {
            return "Annulation: statusReasonInformation doit valoir " + (version.cancellationReasons().size() == 1
                    ? "DS02" : "DS02, DUPL, FRAD ou TECH");
        }
        JsonNode original = withoutAddedFields((ObjectNode) JSON.readTree(r.body));
        String changed = firstDifference(original, withoutAddedFields(asked.deepCopy()), "");
        if (changed != null) {
            return "Annulation: seuls paymentInformationStatus et statusReasonInformation peuvent changer; modifié: "
                    + (changed.isEmpty() ? "/" : changed);
        }
        String now = r.stateAt(clock.millis()).status();
        if (StoredPaymentRequest.State.isFinal(now)) {
            return "Annulation impossible: la demande de paiement est au statut final " + now;
        }
        if (r.timing == StoredPaymentRequest.Timing.INSTANT) {
            return "Annulation impossible: un virement instantané ne peut pas être annulé";
        }
        LocalDate today = LocalDate.ofInstant(clock.instant(), BANK_ZONE);
        if (r.timing == StoredPaymentRequest.Timing.SINGLE
                && (r.requestedExecutionDate == null || !r.requestedExecutionDate.isAfter(today))) {
            return "Annulation impossible: seuls les virements différés (J+1 ou après) et permanents sont annulables";
        }
        return null;
    }

    /** The reason code of a {@code statusReasonInformation}: a string, or the first string of an array. */
    private static String reasonCode(JsonNode n) {
        if (n == null) {
            return null;
        }
        if (n.isArray()) {
            return n.size() > 0 && n.get(0).isTextual() ? n.get(0).asText() : null;
        }
        return n.isTextual() ? n.asText() : null;
    }

    private static ObjectNode withoutAddedFields(ObjectNode request) {
        ADDED_FIELDS.forEach(request::remove);
        for (JsonNode tx : request.path("creditTransferTransaction")) {
            if (tx instanceof ObjectNode t) {
                ADDED_TRANSACTION_FIELDS.forEach(t::remove);
            }
        }
        return request;
    }

    /** The JSON pointer of the first difference between two documents, or null when they are equal. */
    private static String firstDifference(JsonNode a, JsonNode b, String pointer) {
        if (a.isObject() && b.isObject()) {
            for (Iterator<String> names = a.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                String child = pointer + "/" + name;
                if (!b.has(name)) {
                    return child;
                }
                String d = firstDifference(a.get(name), b.get(name), child);
                if (d != null) {
                    return d;
                }
            }
            for (Iterator<String> names = b.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!a.has(name)) {
                    return pointer + "/" + name;
                }
            }
            return null;
        }
        if (a.isArray() && b.isArray()) {
            for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
                if (i >= a.size() || i >= b.size()) {
                    return pointer + "/" + i;
                }
                String d = firstDifference(a.get(i), b.get(i), pointer + "/" + i);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0 ? null : pointer;
        }
        return a.equals(b) ? null : pointer;
    }

    private void confirm(HttpExchange ex, String cdetab, StetApiVersion version, String base, String resourceId,
                         String path, byte[] body) throws IOException {
        if (!tokenAccepted(ex, cdetab, path) || !headersPresent(ex, path, true)) {
            return;
        }
        StoredPaymentRequest r = find(ex, cdetab, resourceId, path);
        if (r == null) {
            return;
        }
        JsonNode asked;
        try {
            asked = JSON.readTree(body);
        } catch (IOException e) {
            asked = null;
        }
        if (asked == null || !asked.isObject() || asked.path("nonce").asText("").isBlank()
                || asked.path("psuAuthenticationFactor").asText("").isBlank()) {
            respond(ex, 400, error(400, "Confirmation: nonce et psuAuthenticationFactor sont requis", path), null);
            return;
        }
        if (!r.add(clock.millis(), StoredPaymentRequest.Kind.CONFIRM, null, null, -1,
                st -> st.status().equals("RCVD") || st.status().equals("ACSP"))) {
            respond(ex, 400, error(400, "Confirmation impossible au statut " + r.stateAt(clock.millis()).status(),
                    path), null);
            return;
        }
        respond(ex, 200, halPaymentRequest(r, r.stateAt(clock.millis()), version, base), null);
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
        respond(ex, failure.status(), error(failure.status(), failure.message(), path), null);
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
                    : error(fault.status(), fault.message(), path), null);
            return true;
        }
        return false;
    }

    /** A STET ErrorModel: {@code {"timestamp","status","error" (the HTTP reason phrase),"message","path"}}. */
    private static String error(int status, String message, String path) {
        return "{\"timestamp\":\"" + Instant.now() + "\",\"status\":" + status + ",\"error\":\"" + reason(status)
                + "\",\"message\":\"" + (message == null ? "" : message.replace("\"", "'")) + "\",\"path\":\""
                + path + "\"}";
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Error";
        };
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
        String requestId = ex.getRequestHeaders().getFirst("X-Request-ID");
        if (requestId != null) {
            ex.getResponseHeaders().add("X-Request-ID", requestId);
        }
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
