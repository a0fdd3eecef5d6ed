package eu.pisp.bpce.support;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import eu.pisp.bpce.sim.SamplePayments;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

/**
 * The rest of the ESB, for tests that run the packaged module as processes: sends payment requests to the intake
 * queue over the broker's TCP acceptor and reads both outcome queues, remembering every outcome per
 * paymentInformationId (so that a payment with two outcomes, or none, shows).
 */
public final class QueueClient {

    public static final String INTAKE = "pisp.payment-requests";
    /** The account of the tests' ESB clients on a packaged module's broker (security on, as in production). */
    public static final String USER = "pisp-esb-test";
    public static final String PASSWORD = "esb-" + java.util.UUID.randomUUID();
    /** Roles of that account on the broker's host: ESB client, operator, and other instances of the module. */
    public static final String ROLES = "sender,reader,operator,instance";

    /** The broker properties of a packaged instance that lets {@link QueueClient}s and other instances in. */
    public static Map<String, String> brokerAccount() {
        return Map.of("pisp.broker.user", USER, "pisp.broker.password", PASSWORD, "pisp.broker.user-roles", ROLES);
    }

    private final String brokerUrl;
    /** paymentInformationId -> outcome codes seen (ACCEPTED or the pispErrorCode), in arrival order. */
    private final Map<String, List<String>> outcomes = new ConcurrentHashMap<>();
    /** paymentInformationId -> pispErrorReason of its failed outcomes. */
    private final Map<String, List<String>> reasons = new ConcurrentHashMap<>();

    public QueueClient(String brokerUrl) {
        this.brokerUrl = brokerUrl;
    }

    /** Queues {@code n} distinct payments {@code prefix-0..n-1}, spread over the establishments; returns their ids. */
    public Set<String> sendPayments(String prefix, int n, List<String> establishments) throws JMSException {
        Set<String> ids = new LinkedHashSet<>();
        try (Connection c = factory().createConnection()) {
            // Committed 50 at a time: one journal sync per batch, so that sending is much faster than the processing.
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageProducer producer = s.createProducer(s.createQueue(INTAKE));
            for (int i = 0; i < n; i++) {
                String id = prefix + "-" + i;
                ids.add(id);
                producer.send(s.createTextMessage(payment(id, establishments.get(i % establishments.size()), i)));
                if (i % 50 == 49 || i == n - 1) {
                    s.commit();
                }
            }
        }
        return ids;
    }

    /** Queues each body as its own message (the same body twice makes two messages for one payment). */
    public void sendBodies(List<String> bodies) throws JMSException {
        try (Connection c = factory().createConnection()) {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = s.createProducer(s.createQueue(INTAKE));
            for (String body : bodies) {
                producer.send(s.createTextMessage(body));
            }
        }
    }

    public static String payment(String paymentInformationId, String cdetab, int n) {
        return SamplePayments.json(paymentInformationId, SamplePayments.iban(cdetab, n));
    }

    /** Reads outcomes until {@code target} in all, or the time is up. */
    public void collectUntil(int target, Duration timeout) throws JMSException {
        collectWhile(() -> count() < target, timeout);
    }

    /** Reads outcomes (acknowledged one by one, synchronously) while the condition holds, or until the time is up. */
    public void collectWhile(BooleanSupplier condition, Duration timeout) throws JMSException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = factory().createConnection()) {
            Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            MessageConsumer accepted = s.createConsumer(s.createQueue(INTAKE + ".accepted"));
            MessageConsumer failed = s.createConsumer(s.createQueue(INTAKE + ".failed"));
            c.start();
            while (condition.getAsBoolean() && System.nanoTime() < deadline) {
                Message m = accepted.receive(20);
                if (m == null) {
                    m = failed.receive(20);
                }
                if (m != null) {
                    String id = m.getStringProperty("pispPaymentInformationId");
                    boolean ok = "ACCEPTED".equals(m.getStringProperty("pispOutcome"));
                    outcomes.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>())
                            .add(ok ? "ACCEPTED" : m.getStringProperty("pispErrorCode"));
                    if (!ok) {
                        reasons.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>())
                                .add(m.getStringProperty("pispErrorReason"));
                    }
                    m.acknowledge();
                }
            }
        }
    }

    public Map<String, List<String>> outcomes() {
        return outcomes;
    }

    public Map<String, List<String>> reasons() {
        return reasons;
    }

    /** All outcomes read so far. */
    public int count() {
        return outcomes.values().stream().mapToInt(List::size).sum();
    }

    /** Outcomes with this code (ACCEPTED or a pispErrorCode). */
    public long count(String code) {
        return outcomes.values().stream().flatMap(List::stream).filter(code::equals).count();
    }

    /** The payments whose (single) outcome has this code. */
    public Set<String> withOutcome(String code) {
        Set<String> ids = new LinkedHashSet<>();
        outcomes.forEach((id, codes) -> {
            if (codes.contains(code)) {
                ids.add(id);
            }
        });
        return ids;
    }

    /** True when every payment read has exactly one outcome. */
    public boolean oneOutcomeEach() {
        return outcomes.values().stream().allMatch(l -> l.size() == 1);
    }

    public String summary() {
        Map<String, Long> byCode = new java.util.TreeMap<>();
        outcomes.values().stream().flatMap(List::stream).forEach(c -> byCode.merge(c, 1L, Long::sum));
        return byCode.toString();
    }

    private ActiveMQConnectionFactory factory() {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(brokerUrl, USER, PASSWORD);
        f.setBlockOnAcknowledge(true);
        f.setBlockOnDurableSend(true);
        return f;
    }
}
