package eu.pisp.bpce;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;

import eu.pisp.bpce.bank.BankAnswers;
import eu.pisp.bpce.broker.BrokerConnectionFactory;
import eu.pisp.bpce.cancel.Cancellations;
import eu.pisp.bpce.compose.BlockReply;
import eu.pisp.bpce.confirm.Confirmations;
import eu.pisp.bpce.status.PaymentStatuses;
import eu.pisp.bpce.stet.StetApi;
import eu.pisp.bpce.stet.StetVersion;
import eu.pisp.bpce.tracking.PaymentTracking;
import org.apache.camel.processor.aggregate.UseOriginalAggregationStrategy;
import eu.pisp.bpce.broker.BrokerConnectionWatch;
import eu.pisp.bpce.broker.BrokerSecurity;
import eu.pisp.bpce.broker.EmbeddedBroker;
import eu.pisp.bpce.establishment.EstablishmentRegistry;
import eu.pisp.bpce.observe.Certificates;
import eu.pisp.bpce.observe.ManagementInfo;
import eu.pisp.bpce.observe.Observability;
import eu.pisp.bpce.outcome.FailureReasons;
import eu.pisp.bpce.outcome.Outcomes;
import eu.pisp.bpce.demo.DemoPayments;
import eu.pisp.bpce.payment.PaymentRequests;
import eu.pisp.bpce.payment.PlainMessage;
import eu.pisp.bpce.payment.RequestIds;
import eu.pisp.bpce.sendrecord.FileSendRecordStore;
import eu.pisp.bpce.sendrecord.JdbcSendRecordStore;
import eu.pisp.bpce.sendrecord.SendRecord;
import eu.pisp.bpce.sendrecord.SendRecordStore;
import eu.pisp.bpce.resilience.BankRetries;
import eu.pisp.bpce.resilience.EstablishmentBreakers;
import eu.pisp.bpce.security.BankHttpHeaderFilter;
import eu.pisp.bpce.security.ClientTls;
import eu.pisp.bpce.security.KeyMaterial;
import eu.pisp.bpce.security.LogMask;
import eu.pisp.bpce.security.StetRequestSigner;
import eu.pisp.bpce.token.DropRefusedToken;
import eu.pisp.bpce.token.TokenCache;
import eu.pisp.bpce.token.TokenPolicy;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.spi.MaskingFormatter;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the few beans the routes use, from the {@code pisp.*} properties. Everything else (which endpoint, which
 * queue, what happens on failure) is in {@code routes/}.
 */
public final class PispConfiguration implements CamelConfiguration {

    /** The payment-requests path of pisp.stet.version, or pisp.aspsp.payment-path when set: derived at start. */
    public static final String PAYMENT_REQUESTS_PATH = "pisp.stet.payment-requests-path";

    private static final Logger LOG = LoggerFactory.getLogger(PispConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent props = context.getPropertiesComponent();

        // Broker: embedded by default, or an existing one at pisp.broker.url.
        String brokerUrl = required(props, "pisp.broker.url");
        String clientUrl = brokerUrl;
        boolean embedded = bool(props, "pisp.broker.embedded");
        EmbeddedBroker broker = null;
        BrokerSecurity brokerSecurity = embedded ? brokerSecurity(props) : null;
        if (embedded) {
            broker = new EmbeddedBroker(Path.of(required(props, "pisp.broker.data-dir")), brokerUrl,
                    integer(props, "pisp.broker.max-delivery-attempts"),
                    Long.parseLong(required(props, "pisp.broker.redelivery-delay-ms")),
                    integer(props, "pisp.broker.journal-buffer-timeout-ns"), brokerSecurity,
                    jmsQueues(props, REQUEST_URI_KEYS), jmsQueues(props, OUTCOME_URI_KEYS));
            broker.start();
            context.addService(broker, true, false);
            clientUrl = EmbeddedBroker.IN_VM_URL;
        }
        BrokerConnectionWatch brokerWatch = new BrokerConnectionWatch(clientUrl);
        bind(context, "brokerConnectionWatch", brokerWatch);
        ActiveMQConnectionFactory connectionFactory = new BrokerConnectionFactory(clientUrl, brokerWatch);
        // A backlog is shared by every free consumer, of every instance: each takes only a few requests ahead.
        int consumerWindow = integer(props, "pisp.broker.consumer-window-size");
        if (consumerWindow >= 0) {
            connectionFactory.setConsumerWindowSize(consumerWindow);
        }
        if (!embedded) {
            // A broker restart, or a live/backup pair ("(tcp://a:61616,tcp://b:61616)?ha=true") switching over: the
            // client reconnects by itself, and the consumers carry on. In-flight transactions roll back; their
            // messages come again and the send record keeps them from being sent twice.
            connectionFactory.setReconnectAttempts(integer(props, "pisp.broker.reconnect-attempts"));
            connectionFactory.setRetryInterval(Long.parseLong(required(props, "pisp.broker.retry-interval-ms")));
            connectionFactory.setRetryIntervalMultiplier(2.0);
            connectionFactory.setMaxRetryInterval(Long.parseLong(required(props, "pisp.broker.max-retry-interval-ms")));
            // The module's own account on an existing broker (the embedded one trusts its in-VM connections).
            props.resolveProperty("pisp.broker.user").filter(s -> !s.isBlank()).ifPresent(connectionFactory::setUser);
            char[] password = secret(props, "pisp.broker.password");
            if (password.length > 0) {
                connectionFactory.setPassword(new String(password));
            }
        }
        bind(context, "pispConnectionFactory", connectionFactory);

        EstablishmentRegistry registry = EstablishmentRegistry.load(
                Path.of(required(props, "pisp.establishments.file")),
                required(props, "pisp.aspsp.base-url-template"),
                required(props, "pisp.aspsp.banque-base-url-template"),
                props.resolveProperty("pisp.client-id").orElse(""),
                bool(props, "pisp.signature.enabled"));
        bind(context, "establishmentRegistry", registry);

        bind(context, "paymentRequests", new PaymentRequests(
                Long.parseLong(required(props, "pisp.max-message-bytes")), integer(props, "pisp.max-json-depth")));

        TokenPolicy policy = new TokenPolicy(
                Duration.ofSeconds(Long.parseLong(required(props, "pisp.token.expiry-margin-seconds"))),
                Duration.ofSeconds(Long.parseLong(required(props, "pisp.token.default-ttl-seconds"))),
                Double.parseDouble(required(props, "pisp.token.refresh-ahead-ratio")));
        ExecutorService refreshPool = context.getExecutorServiceManager()
                .newFixedThreadPool(this, "pisp-token-refresh", 2);
        TokenCache tokens = new TokenCache(context.createProducerTemplate(), "direct:fetch-token", policy, refreshPool);
        bind(context, "tokenCache", tokens);
        // caffeine-loadcache:pisp-tokens finds the cache by this name and uses it as it is.
        bind(context, "pisp-tokens", tokens.cache());
        bind(context, "dropRefusedToken", new DropRefusedToken(tokens));

        SendRecordStore store = sendRecordStore(props);
        store.start(); // before the routes: a store that cannot open stops the start, with its reason
        context.addService(store, true, false);
        bind(context, "sendRecordStore", store);
        bind(context, "sendRecord", new SendRecord(store,
                Duration.ofDays(Long.parseLong(required(props, "pisp.send-record.retention-days")))));
        if (!embedded && !store.shared()) {
            LOG.warn("pisp.broker.embedded=false with pisp.send-record.store={}: the send record is local to this "
                    + "instance. If another instance consumes the same queue, a payment it was sending when it died is "
                    + "redelivered here and SENT AGAIN. Set pisp.send-record.store=jdbc (a PostgreSQL table every "
                    + "instance shares) unless this is the only instance.", store.kind());
        }
        bind(context, "requestIds", new RequestIds());
        bind(context, "plainMessage", new PlainMessage());
        bind(context, "bankRetries", new BankRetries(integer(props, "pisp.payment.retry.max-retries"),
                Duration.ofMillis(Long.parseLong(required(props, "pisp.payment.retry.max-retry-after-ms")))));
        bind(context, "establishmentBreakers", new EstablishmentBreakers(
                Float.parseFloat(required(props, "pisp.breaker.failure-rate-threshold")),
                integer(props, "pisp.breaker.sliding-window-size"), integer(props, "pisp.breaker.minimum-calls"),
                Duration.ofMillis(Long.parseLong(required(props, "pisp.breaker.open-wait-ms"))),
                integer(props, "pisp.breaker.half-open-calls")));

        // The STET version spoken to the establishments, and the operations on a payment request built on it.
        StetApi stet = new StetApi(StetVersion.of(required(props, "pisp.stet.version")),
                optional(props, "pisp.aspsp.payment-path"));
        LOG.info("STET {}: payment requests at {}", stet.version(), stet.paymentRequestsPath());
        bind(context, "stetVersion", stet);
        // For the routes as a placeholder: a constant per start, so no bean call per payment. Derived, never set by
        // hand (an override: a value in a properties file would not win over the version's path).
        props.addOverrideProperty(PAYMENT_REQUESTS_PATH, stet.paymentRequestsPath());
        bind(context, "bankAnswers", new BankAnswers());
        bind(context, "paymentStatuses", new PaymentStatuses(stet));
        bind(context, "cancellations", new Cancellations(stet, Clock.systemUTC()));
        bind(context, "confirmations", new Confirmations(stet));
        bind(context, "paymentTracking", new PaymentTracking(
                PaymentTracking.parseSchedule(required(props, "pisp.tracking.schedule")),
                Duration.ofMinutes(Long.parseLong(required(props, "pisp.tracking.deadline-minutes"))),
                Clock.systemUTC(), broker, queueName(required(props, "pisp.tracking.uri"))));
        // The public direct: blocks run their work on a copy and bring back its outcome (BlockReply), or keep the
        // caller's message as it is (keepCallerMessage): either way the caller's route carries on.
        bind(context, "blockReply", new BlockReply());
        bind(context, "keepCallerMessage", new UseOriginalAggregationStrategy(true));

        bind(context, "failureReasons", new FailureReasons());
        bind(context, "outcomes", new Outcomes());
        bind(context, "demoPayments", new DemoPayments());

        Certificates certificates = new Certificates();
        configureTransportSecurity(context, props, certificates);
        warnAboutTlsWithoutClientCertificate(props, registry);
        bind(context, "requestSigner", requestSigner(props, registry, certificates, stet.paymentRequestsPath()));
        // camel.component.http(s).header-filter-strategy: lets the signed Date header through.
        bind(context, "pispHttpHeaderFilter", new BankHttpHeaderFilter());
        // Used by log: steps when camel.main.log-mask=true: IBANs, tokens and passwords masked.
        bind(context, MaskingFormatter.CUSTOM_LOG_MASK_REF, new LogMask());

        // Metrics, health checks and the info endpoint (observe/): what an operator sees of all the above.
        java.util.Set<String> queues = new java.util.LinkedHashSet<>(jmsQueues(props, REQUEST_URI_KEYS));
        queues.addAll(jmsQueues(props, OUTCOME_URI_KEYS));
        queues.add("DLQ");
        ManagementInfo info = bool(props, "camel.management.enabled") && bool(props, "camel.management.info-enabled")
                ? new ManagementInfo(
                integer(props, "camel.management.port"), "/observe/info", new ManagementInfo.Facts(
                        registry.all().size(), registry.all().values().stream().filter(e -> e.signRequests()).count(),
                        certificates.has("qwac"), embedded, brokerSecurity != null && brokerSecurity.enabled(),
                        brokerSecurity != null && brokerSecurity.tls() != null, store.kind()), certificates) : null;
        Observability.install(context, new Observability.Parts(bool(props, "pisp.metrics.enabled"),
                optional(props, "pisp.metrics.route-exclude-pattern"), registry, tokens,
                context.getRegistry().lookupByNameAndType("sendRecord", SendRecord.class), store,
                context.getRegistry().lookupByNameAndType("establishmentBreakers", EstablishmentBreakers.class),
                broker, brokerWatch, queues, certificates), info);
    }

    /** pisp.broker.security.*, user, password, roles and TLS of the embedded broker's TCP acceptor. */
    private static BrokerSecurity brokerSecurity(PropertiesComponent props) {
        String tlsKeystore = optional(props, "pisp.broker.tls.keystore.path");
        BrokerSecurity.Tls tls = tlsKeystore.isBlank() ? null
                : new BrokerSecurity.Tls(tlsKeystore, secret(props, "pisp.broker.tls.keystore.password"));
        if (tls != null) {
            // Opened now, so that a wrong path or password stops the start with a message naming the property.
            KeyMaterial.loadStore("pisp.broker.tls.keystore", Path.of(tlsKeystore), tls.keystorePassword());
        }
        return new BrokerSecurity(bool(props, "pisp.broker.security.enabled"), optional(props, "pisp.broker.user"),
                secret(props, "pisp.broker.password"),
                BrokerSecurity.parseRoles(optional(props, "pisp.broker.user-roles")), tls);
    }

    /**
     * The endpoints ESB clients send requests to, and those they read outcomes from: on the embedded broker, senders
     * may write only the former, readers read only the latter (keys not configured are skipped: the status, cancel and
     * tracking ones come with those operations).
     */
    private static final String[] REQUEST_URI_KEYS = {"pisp.source.uri", "pisp.status.uri", "pisp.cancel.uri"};
    private static final String[] OUTCOME_URI_KEYS = {"pisp.accepted.uri", "pisp.failed.uri",
        "pisp.status-outcome.uri", "pisp.cancel-outcome.uri", "pisp.tracking.uri"};

    private static java.util.List<String> jmsQueues(PropertiesComponent props, String[] keys) {
        return java.util.Arrays.stream(keys).map(k -> jmsQueue(optional(props, k))).filter(q -> q != null)
                .distinct().toList();
    }

    /** The queue of a jms: URI (jms:queue:NAME?..., jms:NAME), or null for another transport. */
    static String jmsQueue(String uri) {
        if (uri == null || !uri.startsWith("jms:")) {
            return null;
        }
        String rest = uri.substring(4);
        int q = rest.indexOf('?');
        rest = q < 0 ? rest : rest.substring(0, q);
        return rest.startsWith("queue:") ? rest.substring(6) : rest.startsWith("topic:") ? null : rest;
    }

    /** The send record's store, by pisp.send-record.store: file (one instance) or jdbc (shared by every instance). */
    private static SendRecordStore sendRecordStore(PropertiesComponent props) {
        String kind = required(props, "pisp.send-record.store").strip();
        return switch (kind) {
            case "file" -> new FileSendRecordStore(Path.of(required(props, "pisp.send-record.file")),
                    integer(props, "pisp.send-record.max-entries"), bool(props, "pisp.send-record.fsync"));
            case "jdbc" -> new JdbcSendRecordStore(new JdbcSendRecordStore.Settings(
                    required(props, "pisp.send-record.jdbc.url"),
                    optional(props, "pisp.send-record.jdbc.user"),
                    secret(props, "pisp.send-record.jdbc.password"),
                    integer(props, "pisp.send-record.jdbc.pool-size"),
                    Long.parseLong(required(props, "pisp.send-record.jdbc.connect-timeout-ms")),
                    Long.parseLong(required(props, "pisp.send-record.jdbc.statement-timeout-ms")),
                    integer(props, "pisp.send-record.retention.batch-size"),
                    instanceId(props),
                    Long.parseLong(required(props, "pisp.send-record.jdbc.claim-linger-us"))));
            default -> throw new IllegalStateException("pisp.send-record.store must be file or jdbc, not '" + kind + "'");
        };
    }

    /** pisp.instance-id, or host name and process id: tells the operator which instance claimed a payment. */
    private static String instanceId(PropertiesComponent props) {
        String id = optional(props, "pisp.instance-id");
        if (!id.isBlank()) {
            return id;
        }
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown-host";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    /**
     * Mutual TLS with the QWAC certificate (pisp.tls.*) on both HTTP components: the URL scheme of the token and
     * payment calls comes from pisp.aspsp.base-url-template. Nothing is changed while no keystore or truststore is set.
     */
    private static void configureTransportSecurity(CamelContext context, PropertiesComponent props,
                                                   Certificates certificates) {
        SSLContextParameters tls = ClientTls.create(new ClientTls.Settings(
                optional(props, "pisp.tls.keystore.path"),
                secret(props, "pisp.tls.keystore.password"),
                optional(props, "pisp.tls.keystore.alias"),
                optional(props, "pisp.tls.truststore.path"),
                secret(props, "pisp.tls.truststore.password")), cert -> certificates.add("qwac", cert));
        if (tls != null) {
            // On the http component too: with TLS configured, even an http:// template is called over TLS.
            context.getComponent("http", HttpComponent.class).setSslContextParameters(tls);
            context.getComponent("https", HttpComponent.class).setSslContextParameters(tls);
        }
    }

    /**
     * BPCE's endpoints require mutual TLS: an https bank off this host with no QWAC configured means every call will be
     * refused. Said loudly at start, not discovered at the first payment.
     */
    private static void warnAboutTlsWithoutClientCertificate(PropertiesComponent props, EstablishmentRegistry registry) {
        if (!optional(props, "pisp.tls.keystore.path").isBlank()) {
            return;
        }
        registry.all().values().stream().map(e -> e.baseUrl()).filter(u -> u.startsWith("https://"))
                .filter(u -> !loopbackUrl(u)).findFirst().ifPresent(u -> LOG.warn("SECURITY WARNING: establishments "
                        + "are called over https off this host (e.g. {}) WITHOUT A CLIENT CERTIFICATE: "
                        + "pisp.tls.keystore.path is empty. BPCE's token and payment endpoints require mutual TLS with "
                        + "the TPP's eIDAS QWAC: every call will be refused. Set pisp.tls.keystore.path (and its "
                        + "password).", u));
    }

    /** A loopback host written as such (no name lookup at start: the banks' names may not resolve here). */
    private static boolean loopbackUrl(String url) {
        try {
            String host = java.net.URI.create(url).getHost();
            return host != null && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The STET request signer with the QSealC key (pisp.signature.*), when at least one establishment signs. */
    private static StetRequestSigner requestSigner(PropertiesComponent props, EstablishmentRegistry registry,
                                                   Certificates certificates, String paymentRequestsPath) {
        long signing = registry.all().values().stream().filter(e -> e.signRequests()).count();
        if (signing == 0) {
            LOG.info("STET request signature off: no establishment signs its requests (pisp.signature.enabled, "
                    + "signRequests in the registry)");
            return StetRequestSigner.disabled();
        }
        String path = optional(props, "pisp.signature.keystore.path");
        if (path.isBlank()) {
            throw new IllegalStateException(signing + " establishment(s) sign their requests (pisp.signature.enabled"
                    + " or signRequests in the registry) but pisp.signature.keystore.path is empty");
        }
        KeyMaterial qsealc = KeyMaterial.load("pisp.signature.keystore", Path.of(path.strip()),
                secret(props, "pisp.signature.keystore.password"), optional(props, "pisp.signature.keystore.alias"));
        StetRequestSigner signer = new StetRequestSigner(qsealc.privateKey(), optional(props, "pisp.signature.key-id"),
                paymentRequestsPath, Clock.systemUTC());
        LOG.info("STET request signature on for {} establishment(s): keyId {}, QSealC {}", signing, signer.getKeyId(),
                qsealc.describe());
        certificates.add("qsealc", qsealc.certificate());
        String warning = qsealc.validityWarning(Instant.now());
        if (warning != null) {
            LOG.warn("The QSealC signing certificate {}", warning);
        }
        return signer;
    }

    /** The queue's name on the broker, from a Camel JMS URI such as jms:queue:pisp.payment-tracking?options. */
    static String queueName(String uri) {
        String name = uri.replaceFirst("\\?.*$", "");
        return name.substring(name.lastIndexOf(':') + 1);
    }

    private static void bind(CamelContext context, String name, Object bean) {
        context.getRegistry().bind(name, bean);
    }

    private static String required(PropertiesComponent props, String key) {
        return props.resolveProperty(key).filter(s -> !s.isBlank())
                .orElseThrow(() -> new IllegalStateException("Missing required property " + key));
    }

    private static String optional(PropertiesComponent props, String key) {
        return props.resolveProperty(key).map(String::strip).orElse("");
    }

    /**
     * A password, never logged: the file named after its key in pisp.secrets-dir when there is one (its final line
     * break removed), otherwise the property (from the environment: {{env:...}}).
     */
    private static char[] secret(PropertiesComponent props, String key) {
        String v = props.resolveProperty(key).orElse("");
        String dir = optional(props, "pisp.secrets-dir");
        if (!dir.isBlank()) {
            Path file = Path.of(dir, key);
            if (java.nio.file.Files.isRegularFile(file)) {
                try {
                    v = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("Cannot read the secret file " + file + ": "
                            + e.getClass().getSimpleName());
                }
            }
        }
        while (v.endsWith("\n") || v.endsWith("\r")) {
            v = v.substring(0, v.length() - 1);
        }
        return v.toCharArray();
    }

    private static boolean bool(PropertiesComponent props, String key) {
        return Boolean.parseBoolean(required(props, key).trim());
    }

    private static int integer(PropertiesComponent props, String key) {
        return Integer.parseInt(required(props, key).trim());
    }
}
