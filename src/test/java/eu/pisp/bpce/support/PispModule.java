package eu.pisp.bpce.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import eu.pisp.bpce.PispApplication;
import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.token.TokenCache;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Boots the module exactly as {@code java -jar} does (config/application.properties, routes/*.yaml, embedded Artemis
 * with a persistent journal) against a {@link BankSimulator} on 127.0.0.1, with a fresh broker folder and free ports.
 * Register it with {@code @RegisterExtension static PispModule module = new PispModule();}.
 */
public final class PispModule implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AutoCloseable {

    public static final String ACCEPTED_QUEUE = "pisp.payment-requests.accepted";
    public static final String FAILED_QUEUE = "pisp.payment-requests.failed";

    private final Map<String, String> properties = new HashMap<>();
    private Callable<BankSimulator> bankFactory = () -> BankSimulator.start(0);
    private BankSimulator bank;
    private Main main;
    private Path dataDir;
    private int brokerPort;
    private ProducerTemplate producer;
    private Connection jms;
    private Session session;
    private MessageConsumer acceptedConsumer;
    private MessageConsumer failedConsumer;
    private jakarta.jms.MessageProducer sourceProducer;
    private Session sendSession;

    /** The account the tests' JMS clients use on the module's TCP acceptor (security on, as in production). */
    public static final String BROKER_USER = "pisp-test";
    private final String brokerPassword = "test-" + java.util.UUID.randomUUID();
    private int managementPort;

    public PispModule() {
        properties.put("pisp.client-id", "PSDFR-ACPR-12345");
        // The simulator checks no signature unless a test asks it to (and switches signing on with a QSealC).
        properties.put("pisp.signature.enabled", "false");
    }

    /** Adds or replaces a property for this test class. */
    public PispModule with(String key, String value) {
        properties.put(key, value);
        return this;
    }

    /** Runs the module against this simulator (e.g. {@link BankSimulator#startHttps}) instead of a plain HTTP one. */
    public PispModule bank(Callable<BankSimulator> factory) {
        this.bankFactory = factory;
        return this;
    }

    /** Starts the module outside of JUnit's extension model (for a test that boots several configurations). */
    public PispModule start() throws Exception {
        try {
            beforeAll(null);
            beforeEach(null);
        } catch (Exception e) {
            try {
                afterAll(null);
            } catch (Exception stop) {
                e.addSuppressed(stop);
            }
            throw e;
        }
        return this;
    }

    /** Stops what {@link #start()} started. */
    @Override
    public void close() throws Exception {
        afterAll(null);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        bank = bankFactory.call();
        dataDir = Files.createTempDirectory("pisp-test-broker");
        brokerPort = freePort();
        managementPort = freePort();
        Map<String, String> overrides = new HashMap<>();
        overrides.put("pisp.management.port", String.valueOf(managementPort));
        overrides.put("pisp.broker.user", BROKER_USER);
        overrides.put("pisp.broker.password", brokerPassword);
        overrides.put("pisp.broker.user-roles", "sender,reader,operator");
        overrides.put("pisp.aspsp.base-url-template", bank.baseUrlTemplate());
        overrides.put("pisp.broker.data-dir", dataDir.resolve("broker").toString());
        overrides.put("pisp.send-record.file", dataDir.resolve("send-record.log").toString());
        overrides.put("pisp.token.retry.initial-delay-ms", "20");
        overrides.put("pisp.payment.retry.initial-delay-ms", "20");
        overrides.put("pisp.broker.url", "tcp://127.0.0.1:" + brokerPort);
        overrides.put("pisp.broker.redelivery-delay-ms", "100");
        // The tests' workloads and in-flight counts were sized for 8 consumers; the default (16) was measured on
        // the TCP path (config/application.properties).
        overrides.put("pisp.concurrent-consumers", "8");
        overrides.putAll(properties);
        main = PispApplication.create(overrides);
        main.start();
        producer = context().createProducerTemplate();
        // Outcomes are read as any other ESB component would: a JMS client on the TCP acceptor.
        ActiveMQConnectionFactory factory = jmsFactory();
        // Persistent sends without waiting for each one's journal sync: the tests measure the module, not the sender.
        factory.setBlockOnDurableSend(false);
        jms = factory.createConnection();
        session = jms.createSession(false, Session.AUTO_ACKNOWLEDGE);
        acceptedConsumer = session.createConsumer(session.createQueue(ACCEPTED_QUEUE));
        failedConsumer = session.createConsumer(session.createQueue(FAILED_QUEUE));
        sendSession = jms.createSession(false, Session.AUTO_ACKNOWLEDGE);
        sourceProducer = sendSession.createProducer(sendSession.createQueue("pisp.payment-requests"));
        sourceProducer.setDeliveryMode(jakarta.jms.DeliveryMode.PERSISTENT);
        jms.start();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws JMSException {
        drain(acceptedConsumer);
        drain(failedConsumer);
        bank.reset();
        tokens().invalidateAll();
        context().getRegistry().lookupByNameAndType("establishmentBreakers",
                eu.pisp.bpce.resilience.EstablishmentBreakers.class).reset();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (jms != null) {
            jms.close();
        }
        if (main != null) {
            main.stop();
        }
        if (bank != null) {
            bank.stop();
        }
        if (dataDir != null) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    public BankSimulator bank() {
        return bank;
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public TokenCache tokens() {
        return context().getRegistry().lookupByNameAndType("tokenCache", TokenCache.class);
    }

    public ProducerTemplate producer() {
        return producer;
    }

    public String brokerTcpUrl() {
        return "tcp://127.0.0.1:" + brokerPort;
    }

    /** A JMS client of the TCP acceptor with the test account (sender, reader and operator). */
    public ActiveMQConnectionFactory jmsFactory() {
        return new ActiveMQConnectionFactory(brokerTcpUrl(), BROKER_USER, brokerPassword);
    }

    public String brokerPassword() {
        return brokerPassword;
    }

    /** The management server: http://127.0.0.1:port (health, metrics, info under /observe). */
    public String managementUrl() {
        return "http://127.0.0.1:" + managementPort;
    }

    /** Queues a payment request as another ESB component would: a persistent JMS message over TCP. */
    public synchronized void send(Object body, Map<String, Object> headers) {
        try {
            Message m;
            if (body instanceof byte[] bytes) {
                jakarta.jms.BytesMessage b = sendSession.createBytesMessage();
                b.writeBytes(bytes);
                m = b;
            } else {
                m = sendSession.createTextMessage((String) body);
            }
            for (Map.Entry<String, Object> h : headers.entrySet()) {
                m.setObjectProperty(h.getKey(), h.getValue());
            }
            sourceProducer.send(m);
        } catch (JMSException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits for {@code count} outcomes, from either outcome queue, and returns them. */
    public Outcomes awaitOutcomes(int count, Duration timeout) throws JMSException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Outcome> accepted = new ArrayList<>();
        List<Outcome> failed = new ArrayList<>();
        while (accepted.size() + failed.size() < count && System.nanoTime() < deadline) {
            Message a = acceptedConsumer.receive(20);
            if (a != null) {
                accepted.add(Outcome.of(a));
            }
            Message f = a == null ? failedConsumer.receive(20) : failedConsumer.receiveNoWait();
            if (f != null) {
                failed.add(Outcome.of(f));
            }
        }
        return new Outcomes(accepted, failed);
    }

    /** The payment requests the bank received for one paymentInformationId, oldest first. */
    public List<BankSimulator.Received> paymentsReceived(String paymentInformationId) {
        return bank.received().stream()
                .filter(r -> r.path().endsWith("/payment-requests"))
                .filter(r -> r.body().contains("\"" + paymentInformationId + "\""))
                .toList();
    }

    /** {@link #awaitOutcomes} for lambdas that cannot throw. */
    public Outcomes awaitOutcomesUnchecked(int count, Duration timeout) {
        try {
            return awaitOutcomes(count, timeout);
        } catch (JMSException e) {
            throw new IllegalStateException(e);
        }
    }

    /** After the expected outcomes arrived: true when no further outcome shows up within the wait. */
    public boolean noMoreOutcomes(Duration wait) throws JMSException {
        return acceptedConsumer.receive(wait.toMillis()) == null && failedConsumer.receiveNoWait() == null;
    }

    private static void drain(MessageConsumer consumer) throws JMSException {
        while (consumer.receive(10) != null) {
            // discard leftovers of an earlier test
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** One outcome message as read from its queue. */
    public record Outcome(byte[] bytes, boolean text, Map<String, Object> headers, String correlationId,
                          long receivedAtNanos) {
        static Outcome of(Message m) throws JMSException {
            Map<String, Object> headers = new HashMap<>();
            for (Object name : java.util.Collections.list(m.getPropertyNames())) {
                headers.put((String) name, m.getObjectProperty((String) name));
            }
            if (m instanceof TextMessage t) {
                String s = t.getText();
                return new Outcome(s == null ? null : s.getBytes(java.nio.charset.StandardCharsets.UTF_8), true,
                        headers, m.getJMSCorrelationID(), System.nanoTime());
            }
            byte[] data = null;
            if (m instanceof jakarta.jms.BytesMessage b) {
                data = new byte[(int) b.getBodyLength()];
                b.readBytes(data);
            }
            return new Outcome(data, false, headers, m.getJMSCorrelationID(), System.nanoTime());
        }

        /** The body as UTF-8 text. */
        public String body() {
            return bytes == null ? null : new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }

        public String header(String name) {
            Object v = headers.get(name);
            return v == null ? null : v.toString();
        }
    }

    /** The outcomes seen. */
    public record Outcomes(List<Outcome> accepted, List<Outcome> failed) {
        public int total() {
            return accepted.size() + failed.size();
        }
    }
}
