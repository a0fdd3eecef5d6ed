package eu.pisp.bpce;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;

import eu.pisp.bpce.broker.EmbeddedBroker;
import eu.pisp.bpce.establishment.EstablishmentRegistry;
import eu.pisp.bpce.outcome.FailureReasons;
import eu.pisp.bpce.outcome.Outcomes;
import eu.pisp.bpce.payment.PaymentRequests;
import eu.pisp.bpce.payment.RequestIds;
import eu.pisp.bpce.payment.SendJournal;
import eu.pisp.bpce.payment.SendRecord;
import eu.pisp.bpce.resilience.BankRetries;
import eu.pisp.bpce.resilience.EstablishmentBreakers;
import eu.pisp.bpce.token.DropRefusedToken;
import eu.pisp.bpce.token.TokenCache;
import eu.pisp.bpce.token.TokenPolicy;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;

/**
 * Binds the few beans the routes use, from the {@code pisp.*} properties. Everything else (which endpoint, which
 * queue, what happens on failure) is in {@code routes/}.
 */
public final class PispConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent props = context.getPropertiesComponent();

        // Broker: embedded by default, or an existing one at pisp.broker.url.
        String brokerUrl = required(props, "pisp.broker.url");
        String clientUrl = brokerUrl;
        if (bool(props, "pisp.broker.embedded")) {
            EmbeddedBroker broker = new EmbeddedBroker(Path.of(required(props, "pisp.broker.data-dir")), brokerUrl,
                    integer(props, "pisp.broker.max-delivery-attempts"),
                    Long.parseLong(required(props, "pisp.broker.redelivery-delay-ms")),
                    integer(props, "pisp.broker.journal-buffer-timeout-ns"));
            broker.start();
            context.addService(broker, true, false);
            clientUrl = EmbeddedBroker.IN_VM_URL;
        }
        ActiveMQConnectionFactory connectionFactory = new ActiveMQConnectionFactory(clientUrl);
        props.resolveProperty("pisp.broker.user").filter(s -> !s.isBlank()).ifPresent(connectionFactory::setUser);
        props.resolveProperty("pisp.broker.password").filter(s -> !s.isBlank())
                .ifPresent(connectionFactory::setPassword);
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

        SendJournal journal = new SendJournal(Path.of(required(props, "pisp.send-record.file")),
                integer(props, "pisp.send-record.max-entries"), bool(props, "pisp.send-record.fsync"));
        journal.start();
        context.addService(journal, true, false);
        bind(context, "sendJournal", journal);
        bind(context, "sendRecord", new SendRecord(journal));
        bind(context, "requestIds", new RequestIds());
        bind(context, "bankRetries", new BankRetries(integer(props, "pisp.payment.retry.max-retries"),
                Duration.ofMillis(Long.parseLong(required(props, "pisp.payment.retry.max-retry-after-ms")))));
        bind(context, "establishmentBreakers", new EstablishmentBreakers(
                Float.parseFloat(required(props, "pisp.breaker.failure-rate-threshold")),
                integer(props, "pisp.breaker.sliding-window-size"), integer(props, "pisp.breaker.minimum-calls"),
                Duration.ofMillis(Long.parseLong(required(props, "pisp.breaker.open-wait-ms"))),
                integer(props, "pisp.breaker.half-open-calls")));

        bind(context, "failureReasons", new FailureReasons());
        bind(context, "outcomes", new Outcomes());
        bind(context, "demoPayments", new eu.pisp.bpce.demo.DemoPayments());
    }

    private static void bind(CamelContext context, String name, Object bean) {
        context.getRegistry().bind(name, bean);
    }

    private static String required(PropertiesComponent props, String key) {
        return props.resolveProperty(key).filter(s -> !s.isBlank())
                .orElseThrow(() -> new IllegalStateException("Missing required property " + key));
    }

    private static boolean bool(PropertiesComponent props, String key) {
        return Boolean.parseBoolean(required(props, key).trim());
    }

    private static int integer(PropertiesComponent props, String key) {
        return Integer.parseInt(required(props, key).trim());
    }
}
