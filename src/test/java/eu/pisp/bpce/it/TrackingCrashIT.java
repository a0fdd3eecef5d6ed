package eu.pisp.bpce.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.support.ModuleProcess;
import eu.pisp.bpce.support.QueueClient;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tracking in the packaged module, killed with SIGKILL while its checks are in flight and started again on the same
 * broker journal: the schedule lives in the broker, so every accepted payment is still followed to its final status,
 * each change of status is published once (nothing twice, nothing lost, in lifecycle order), and the bank never sees
 * a payment twice.
 */
class TrackingCrashIT {

    private static final List<String> ESTABLISHMENTS = List.of("13807", "17515", "10207", "16807");
    private static final String STATUS_QUEUE = "pisp.payment-status";
    /** The statuses the simulated bank goes through, in order (the customer approves, then the bank executes). */
    private static final List<String> LIFECYCLE = List.of("RCVD", "ACSP", "ACSC");
    private static final ObjectMapper JSON = new ObjectMapper();

    private BankSimulator bank;
    private Path dataDir;
    private Map<String, String> props;
    private QueueClient queues;
    private StatusQueueReader statuses;
    private final List<ModuleProcess> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        // Final 6 s after acceptance at the bank. Two tracking consumers check some 15 to 50 payments a second here
        // (not the 300 ms schedule's 660), so a payment is checked every few seconds: the kill lands while most are
        // still tracked, many of them midway.
        bank = BankSimulator.start(0).customerApprovesAfter(Duration.ofSeconds(3))
                .executionAfter(Duration.ofSeconds(3));
        dataDir = Files.createTempDirectory("pisp-tracking-crash");
        int brokerPort;
        try (ServerSocket s = new ServerSocket(0)) {
            brokerPort = s.getLocalPort();
        }
        props = new HashMap<>();
        props.put("pisp.client-id", "PSDFR-ACPR-12345");
        props.put("pisp.aspsp.base-url-template", bank.baseUrlTemplate());
        props.put("pisp.broker.url", "tcp://127.0.0.1:" + brokerPort);
        props.put("pisp.broker.data-dir", dataDir.resolve("broker").toString());
        props.put("pisp.send-record.file", dataDir.resolve("send-record.log").toString());
        props.put("pisp.broker.redelivery-delay-ms", "0");
        props.put("pisp.tracking.enabled", "true");
        props.put("pisp.tracking.schedule", "300ms");
        props.put("pisp.tracking.deadline-minutes", "10");
        props.put("pisp.signature.enabled", "false");
        props.putAll(QueueClient.brokerAccount());
        queues = new QueueClient(props.get("pisp.broker.url"));
        statuses = new StatusQueueReader(props.get("pisp.broker.url"));
    }

    @AfterEach
    void tearDown() throws Exception {
        statuses.close();
        for (ModuleProcess m : started) {
            m.kill(); // no-op for a module that already exited
        }
        bank.stop();
    }

    @Test
    void trackingSurvivesASigkillAndRestartOfThePackagedJar() throws Exception {
        int total = 200;
        long t0 = System.nanoTime();
        ModuleProcess first = start();
        statuses.start();
        Set<String> sent = queues.sendPayments("TRACK", total, ESTABLISHMENTS);

        queues.collectUntil(total, Duration.ofSeconds(40));
        assertEquals(sent, queues.withOutcome("ACCEPTED"),
                "every payment accepted before the kill: " + queues.summary());
        assertTrue(queues.oneOutcomeEach(), "one outcome per payment: " + queues.summary());

        // Kill while the checks are in flight: half the payments have a change out, or at the latest when a quarter
        // are final (a loaded machine checks slowly, and then many a payment's first check finds it final).
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                    .until(() -> statuses.messageCount() >= total / 2 || statuses.finalCount() >= total / 4);
        } catch (ConditionTimeoutException e) {
            // Killed anyway: the assertions below tell what the kill hit.
        }
        first.kill();
        long killedAt = System.nanoTime();
        int readsAtKill = bank.totalStatusReads();
        int messagesAtKill = statuses.messageCount();
        int finalsAtKill = statuses.finalCount();
        // Payments whose tracking had published a change but was not final yet: they must carry on from the broker.
        Set<String> midwayAtKill = statuses.midway();

        ModuleProcess second = start();
        long restartMs = (System.nanoTime() - killedAt) / 1_000_000;
        try {
            await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(50))
                    .until(() -> statuses.finalCount() >= total);
        } catch (ConditionTimeoutException e) {
            // Reported by the assertions below, with what was seen.
        }
        int readsAtLastFinal = bank.totalStatusReads();
        int messagesAtLastFinal = statuses.messageCount();
        boolean quietAfterwards = true;
        try {
            // Then nothing more for five check intervals: no check chain is left anywhere.
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(100))
                    .until(() -> bank.totalStatusReads() == readsAtLastFinal
                            && statuses.messageCount() == messagesAtLastFinal);
        } catch (ConditionTimeoutException e) {
            quietAfterwards = false;
        }
        statuses.close();
        second.terminate(Duration.ofSeconds(60));

        Map<String, List<StatusMessage>> byPayment = statuses.byPayment();
        String counts = String.format("payments %d, accepted %d; at the kill (%d ms after start): %d status "
                        + "messages, %d final, %d midway, %d status reads; restart took %d ms; in all: %d status "
                        + "messages (%d redelivered copies ignored, %d reader connections), %d final, %d status reads "
                        + "(%d after the last final), bank processed %d, max per payment %d; took %d ms",
                total, queues.withOutcome("ACCEPTED").size(), (killedAt - t0) / 1_000_000, messagesAtKill,
                finalsAtKill, midwayAtKill.size(), readsAtKill, restartMs, statuses.messageCount(),
                statuses.redeliveredCopies(), statuses.connections(), statuses.finalCount(), bank.totalStatusReads(),
                bank.totalStatusReads() - readsAtLastFinal, bank.processedPaymentCount(),
                bank.maxTimesOnePaymentWasProcessed(), (System.nanoTime() - t0) / 1_000_000);
        System.out.println("TRACKING CRASH " + counts + "; sequences " + sequenceSummary(byPayment));

        assertEquals(Set.of(), statuses.unidentified(), "every status message names its payment: " + counts);
        assertEquals(Set.of("TRACKING"), statuses.sources(), "status messages come from the tracking: " + counts);
        assertEquals(Set.of(), difference(sent, byPayment.keySet()), "no payment untracked: " + counts);
        assertEquals(Set.of(), difference(byPayment.keySet(), sent), "status only for payments sent: " + counts);

        Map<String, List<String>> duplicated = new TreeMap<>();
        Map<String, List<String>> outOfOrder = new TreeMap<>();
        Map<String, List<String>> notEndingFinalAcsc = new TreeMap<>();
        Map<String, List<String>> finalsNotOne = new TreeMap<>();
        byPayment.forEach((pid, messages) -> {
            List<String> seq = messages.stream().map(StatusMessage::describe).toList();
            List<String> st = messages.stream().map(StatusMessage::status).toList();
            if (st.stream().distinct().count() != st.size()) {
                duplicated.put(pid, seq);
            }
            if (!inLifecycleOrder(st)) {
                outOfOrder.put(pid, seq);
            }
            StatusMessage last = messages.get(messages.size() - 1);
            if (!("ACSC".equals(last.status()) && last.isFinal() && "FINAL".equals(last.tracking()))) {
                notEndingFinalAcsc.put(pid, seq);
            }
            if (messages.stream().filter(StatusMessage::isFinal).count() != 1) {
                finalsNotOne.put(pid, seq);
            }
        });
        assertEquals(Map.of(), duplicated, "no status published twice for a payment: " + counts);
        assertEquals(Map.of(), outOfOrder, "changes in lifecycle order " + LIFECYCLE + ": " + counts);
        assertEquals(Map.of(), finalsNotOne, "exactly one final message per payment: " + counts);
        assertEquals(Map.of(), notEndingFinalAcsc, "each payment ends on ACSC, final: " + counts);
        assertEquals(total, statuses.finalCount(), "one final message per accepted payment: " + counts);
        assertTrue(quietAfterwards, "no status read nor status message after every payment's final: " + counts);
        assertEquals(total, bank.processedPaymentCount(), "the bank processed every payment: " + counts);
        assertEquals(1, bank.maxTimesOnePaymentWasProcessed(), "the bank never saw a payment twice: " + counts);
        // The kill really hit tracking in progress.
        assertTrue(readsAtKill > 0 && bank.totalStatusReads() > readsAtKill,
                "checks ran before the kill and after the restart: " + counts);
        assertTrue(finalsAtKill < total / 2, "killed while most payments were still tracked: " + counts);
        assertTrue(midwayAtKill.size() >= total / 10, "killed while payments were midway: " + counts);
    }

    private ModuleProcess start() throws Exception {
        ModuleProcess m = ModuleProcess.start(props, dataDir.resolve("module.log"));
        started.add(m);
        return m;
    }

    private static boolean inLifecycleOrder(List<String> st) {
        int previous = -1;
        for (String s : st) {
            int i = LIFECYCLE.indexOf(s);
            if (i <= previous) {
                return false;
            }
            previous = i;
        }
        return true;
    }

    private static Set<String> difference(Set<String> a, Set<String> b) {
        return a.stream().filter(x -> !b.contains(x)).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /** How many payments went through each sequence of statuses, e.g. {RCVD>ACSP>ACSC=150, RCVD>ACSC=50}. */
    private static Map<String, Long> sequenceSummary(Map<String, List<StatusMessage>> byPayment) {
        return byPayment.values().stream()
                .map(l -> l.stream().map(StatusMessage::status).collect(Collectors.joining(">")))
                .collect(Collectors.groupingBy(s -> s, TreeMap::new, Collectors.counting()));
    }

    /** One message of the status queue, as its consumer sees it. */
    record StatusMessage(String messageId, String paymentInformationId, String status, boolean isFinal, String source,
                         String tracking, String errorCode) {

        String describe() {
            return (errorCode != null ? errorCode : status) + (isFinal ? "(final)" : "") + "[" + tracking + "]";
        }
    }

    /**
     * Reads pisp.payment-status from the test JVM over TCP, from the start, AUTO_ACKNOWLEDGE, and connects again when
     * the broker goes down with the module. A message delivered again with the same JMSMessageID (its acknowledgement
     * lost in the kill) is counted once: only a message the module published twice is a duplicate.
     */
    private static final class StatusQueueReader implements AutoCloseable {

        private final ActiveMQConnectionFactory factory;
        private final Map<String, List<StatusMessage>> byPayment = new ConcurrentHashMap<>();
        private final Set<String> messageIds = ConcurrentHashMap.newKeySet();
        private final Set<String> unidentified = ConcurrentHashMap.newKeySet();
        private final Set<String> sources = ConcurrentHashMap.newKeySet();
        private final AtomicInteger messages = new AtomicInteger();
        private final AtomicInteger finals = new AtomicInteger();
        private final AtomicInteger redelivered = new AtomicInteger();
        private final AtomicInteger connections = new AtomicInteger();
        private volatile boolean stopped;
        private Thread thread;

        StatusQueueReader(String brokerUrl) {
            factory = new ActiveMQConnectionFactory(brokerUrl, QueueClient.USER, QueueClient.PASSWORD);
            factory.setBlockOnAcknowledge(true);
            // While the module is down, createConnection waits for its broker (up to 3 s a time) rather than spin.
            factory.setInitialConnectAttempts(30);
            factory.setRetryInterval(100);
            factory.setReconnectAttempts(0);
        }

        void start() {
            thread = new Thread(this::readUntilClosed, "status-queue-reader");
            thread.setDaemon(true);
            thread.start();
        }

        private void readUntilClosed() {
            while (!stopped) {
                AtomicBoolean broken = new AtomicBoolean();
                try (Connection c = factory.createConnection()) {
                    c.setExceptionListener(e -> broken.set(true));
                    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
                    MessageConsumer consumer = s.createConsumer(s.createQueue(STATUS_QUEUE));
                    c.start();
                    connections.incrementAndGet();
                    while (!stopped && !broken.get()) {
                        Message m = consumer.receive(100);
                        if (m != null) {
                            record(m);
                        }
                    }
                } catch (JMSException | RuntimeException e) {
                    // The broker went down with the module (or is not up yet): connect again.
                }
            }
        }

        private void record(Message m) throws JMSException {
            if (!messageIds.add(m.getJMSMessageID())) {
                redelivered.incrementAndGet();
                return;
            }
            String pid = m.getStringProperty("pispPaymentInformationId");
            JsonNode body = null;
            try {
                body = JSON.readTree(((TextMessage) m).getText());
            } catch (Exception e) {
                // pid from the header, or unidentified
            }
            if ((pid == null || pid.isBlank()) && body != null && body.hasNonNull("paymentInformationId")) {
                pid = body.get("paymentInformationId").asText();
            }
            String status = m.getStringProperty("pispPaymentStatus");
            if ((status == null || status.isBlank()) && body != null && body.hasNonNull("status")) {
                status = body.get("status").asText();
            }
            boolean isFinal = Boolean.parseBoolean(m.getStringProperty("pispFinal"));
            String source = m.getStringProperty("pispStatusSource");
            sources.add(String.valueOf(source));
            StatusMessage sm = new StatusMessage(m.getJMSMessageID(), pid, status, isFinal, source,
                    m.getStringProperty("pispTracking"), m.getStringProperty("pispErrorCode"));
            if (pid == null || pid.isBlank()) {
                unidentified.add(m.getJMSMessageID());
            } else {
                byPayment.computeIfAbsent(pid, k -> new CopyOnWriteArrayList<>()).add(sm);
            }
            if (isFinal) {
                finals.incrementAndGet();
            }
            messages.incrementAndGet();
        }

        int messageCount() {
            return messages.get();
        }

        int finalCount() {
            return finals.get();
        }

        int redeliveredCopies() {
            return redelivered.get();
        }

        int connections() {
            return connections.get();
        }

        Set<String> unidentified() {
            return Set.copyOf(unidentified);
        }

        Set<String> sources() {
            return Set.copyOf(sources);
        }

        /** The payments with a status message but no final one yet. */
        Set<String> midway() {
            return byPayment.entrySet().stream()
                    .filter(e -> e.getValue().stream().noneMatch(StatusMessage::isFinal)).map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
        }

        Map<String, List<StatusMessage>> byPayment() {
            return new LinkedHashMap<>(byPayment);
        }

        @Override
        public void close() throws InterruptedException {
            stopped = true;
            if (thread != null) {
                thread.join(10_000);
            }
        }
    }
}
