package eu.pisp.bpce.life;

import static eu.pisp.bpce.life.PaymentLife.JSON;
import static eu.pisp.bpce.life.PaymentLife.immediate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import eu.pisp.bpce.support.PispModule;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tracking to a final status: every accepted payment is followed through the broker's scheduled messages, each change
 * of status is published once on pisp.payment-status, and one final message ends it.
 */
class TrackingTest {

    @RegisterExtension
    static final PispModule module = new PispModule()
            .with("pisp.tracking.enabled", "true")
            .with("pisp.tracking.schedule", "200ms")
            .with("pisp.tracking.deadline-minutes", "1");

    /** Status messages by paymentInformationId, as a consumer of pisp.payment-status sees them. */
    private static final Map<String, List<JsonNode>> STATUS = new ConcurrentHashMap<>();
    private static final List<String> SOURCES = new CopyOnWriteArrayList<>();
    private static Connection jms;

    @BeforeAll
    static void readTheStatusQueue() throws JMSException {
        jms = module.jmsFactory().createConnection();
        Session session = jms.createSession(false, Session.AUTO_ACKNOWLEDGE);
        session.createConsumer(session.createQueue("pisp.payment-status")).setMessageListener(m -> {
            try {
                JsonNode body = JSON.readTree(((TextMessage) m).getText());
                String pid = m.getStringProperty("pispPaymentInformationId");
                STATUS.computeIfAbsent(pid == null ? body.path("paymentInformationId").asText() : pid,
                        k -> new CopyOnWriteArrayList<>()).add(withHeaders(body, m));
                SOURCES.add(m.getStringProperty("pispStatusSource"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        jms.start();
    }

    private static JsonNode withHeaders(JsonNode body, jakarta.jms.Message m) throws JMSException {
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("_error", m.getStringProperty("pispErrorCode"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("_source", m.getStringProperty("pispStatusSource"));
        return body;
    }

    @AfterAll
    static void close() throws JMSException {
        jms.close();
    }

    @BeforeEach
    void bankLikeACustomerWhoApproves() {
        module.bank().customerApprovesAfter(Duration.ofMillis(700)).executionAfter(Duration.ofMillis(700));
    }

    private static List<String> statuses(String pid) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : STATUS.getOrDefault(pid, List.of())) {
            out.add(n.hasNonNull("_error") ? n.get("_error").asText() : n.path("status").asText());
        }
        return out;
    }

    @Test
    void trackingPublishesEachChangeOfStatusOnceAndOneFinalMessage() throws Exception {
        int n = 20;
        for (int i = 0; i < n; i++) {
            module.send(immediate("TRACK-" + i, i % 2 == 0 ? "13807" : "17515"), Map.of());
        }
        assertEquals(n, module.awaitOutcomes(n, Duration.ofSeconds(30)).accepted().size());

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (int i = 0; i < n; i++) {
                List<String> s = statuses("TRACK-" + i);
                if (s.isEmpty() || !s.get(s.size() - 1).equals("ACSC")) {
                    return false;
                }
            }
            return true;
        });
        int readsAtTheEnd = module.bank().totalStatusReads();
        // Nothing more: tracking stopped at the final status (four check intervals without a status read).
        Awaitility.await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3))
                .until(() -> module.bank().totalStatusReads() == readsAtTheEnd);
        int sawAllThree = 0;
        for (int i = 0; i < n; i++) {
            String pid = "TRACK-" + i;
            // Exactly the changes the bank's answers showed, each once: RCVD is seen only if a check came before the
            // customer's approval (700 ms after the payment; under load the first check can come later).
            List<String> answered = changes(module.bank().statusesAnswered(i % 2 == 0 ? "13807" : "17515", pid));
            assertEquals(answered, statuses(pid), pid + ": exactly the changes the bank answered");
            assertEquals("ACSC", answered.get(answered.size() - 1), pid + ": followed to its final status");
            assertTrue(List.of("RCVD", "ACSP", "ACSC").containsAll(answered), pid + ": " + answered);
            sawAllThree += answered.size() == 3 ? 1 : 0;
            List<JsonNode> messages = STATUS.get(pid);
            assertEquals(1, messages.stream().filter(m -> m.path("final").asBoolean()).count(), pid + ": one final");
            assertTrue(messages.stream().allMatch(m -> "TRACKING".equals(m.path("_source").asText())));
        }
        System.out.printf("TRACKING: %d of %d payments seen RCVD -> ACSP -> ACSC, the others from ACSP%n", sawAllThree, n);
    }

    /** The statuses as a follower sees them change: consecutive repeats collapsed. */
    private static List<String> changes(List<String> answered) {
        List<String> out = new ArrayList<>();
        for (String s : answered) {
            if (out.isEmpty() || !out.get(out.size() - 1).equals(s)) {
                out.add(s);
            }
        }
        return out;
    }

    @Test
    void aRejectedPaymentEndsTrackingWithItsReason() throws Exception {
        module.bank().rejectWhen(r -> r.path("paymentInformationId").asText().equals("TRACK-RJCT"), "CUST",
                Duration.ofMillis(500));
        module.send(immediate("TRACK-RJCT", "13807"), Map.of());
        assertEquals(1, module.awaitOutcomes(1, Duration.ofSeconds(30)).accepted().size());

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> statuses("TRACK-RJCT").contains("RJCT"));

        assertEquals(List.of("RCVD", "RJCT"), statuses("TRACK-RJCT"));
        JsonNode last = STATUS.get("TRACK-RJCT").get(1);
        assertEquals("CUST", last.get("statusReason").asText());
        assertTrue(last.get("final").asBoolean());
    }

    @Test
    void aStatusRequestForATrackedPaymentIsAnsweredAndMakesItsCheckRunNow() throws Exception {
        // A slow schedule for this payment would leave it waiting; the request makes the check run at once.
        module.bank().customerApprovesAfter(null).executionAfter(null);
        module.send(immediate("TRACK-NOW", "17515"), Map.of());
        JsonNode accepted = JSON.readTree(module.awaitOutcomes(1, Duration.ofSeconds(30)).accepted().get(0).body());
        String id = accepted.get("paymentRequestResourceId").asText();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> statuses("TRACK-NOW").contains("RCVD"));

        module.bank().approve(id);
        module.producer().sendBodyAndHeaders("jms:queue:pisp.payment-status-requests", "",
                Map.of("cdetab", "17515", "paymentRequestResourceId", id));

        // The request's own answer comes first, the check it made run now after it: wait for both (under load the
        // second may follow the first by more than a moment), then the tracking's ACSP stays one.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sourced("TRACK-NOW", "REQUEST", "ACSP") == 1
                && sourced("TRACK-NOW", "TRACKING", "ACSP") >= 1);
        Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3))
                .until(() -> sourced("TRACK-NOW", "TRACKING", "ACSP") == 1);
        assertEquals(1, sourced("TRACK-NOW", "TRACKING", "ACSP"), "the tracking publishes the change once");
    }

    /** How many status messages of this payment came from this source with this status. */
    private static long sourced(String pid, String source, String status) {
        return STATUS.getOrDefault(pid, List.of()).stream().filter(m -> source.equals(m.path("_source").asText())
                && status.equals(m.path("status").asText())).count();
    }

    @Test
    void aPaymentThatNeverReachesAFinalStatusEndsTrackingExpired() throws Exception {
        module.bank().customerApprovesAfter(null).executionAfter(null);
        // The deadline is a minute in this module: the test moves the payment's tracking state instead of waiting.
        String state = "{\"cdetab\":\"13807\",\"paymentRequestResourceId\":\"%s\",\"paymentInformationId\":"
                + "\"TRACK-EXPIRED\",\"lastStatus\":\"RCVD\",\"checks\":3,\"startedAt\":\"2026-01-01T00:00:00Z\","
                + "\"deadline\":\"2026-01-01T01:00:00Z\"}";
        module.send(immediate("TRACK-EXPIRED", "13807"), Map.of());
        JsonNode accepted = JSON.readTree(module.awaitOutcomes(1, Duration.ofSeconds(30)).accepted().get(0).body());
        module.producer().sendBody("jms:queue:pisp.payment-tracking",
                String.format(state, accepted.get("paymentRequestResourceId").asText()));

        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> statuses("TRACK-EXPIRED").contains("TRACKING_EXPIRED"));
    }

}
