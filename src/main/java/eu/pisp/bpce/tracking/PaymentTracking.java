package eu.pisp.bpce.tracking;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.broker.EmbeddedBroker;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows an accepted payment to a final status. The state of one payment's tracking is the body of its next "check
 * again" message, which waits in the tracking queue as an Artemis scheduled message (header _AMQ_SCHED_DELIVERY): the
 * schedule lives in the broker, so a restarted instance, or any other one, carries on. Each check is one transaction:
 * the check message is taken, the status read, a change published and the next check scheduled together.
 *
 * <p>State (JSON): cdetab, paymentRequestResourceId, paymentInformationId, lastStatus, checks, startedAt, deadline.
 */
public final class PaymentTracking {

    /** Artemis: the time (epoch ms) at which a message becomes deliverable. */
    public static final String SCHEDULED_DELIVERY = "_AMQ_SCHED_DELIVERY";
    /** On every check message: cdetab/paymentRequestResourceId, to find a payment's pending check. */
    public static final String KEY = "pispTrackingKey";
    public static final String STATE = "pispTrackingState";
    /** What a check decided: CHANGED (publish, then go on), FINAL (publish, stop), UNCHANGED, EXPIRED, STOP. */
    public static final String DECISION = "pispTrackingDecision";

    private static final Logger LOG = LoggerFactory.getLogger(PaymentTracking.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Duration> schedule;
    private final Duration deadline;
    private final Clock clock;
    private final EmbeddedBroker broker;
    private final String trackingQueue;

    /**
     * @param schedule      pisp.tracking.schedule: delays before each check, the last one repeated
     * @param deadline      pisp.tracking.deadline-minutes: give up (TRACKING_EXPIRED) after this long
     * @param broker        the embedded broker (check-now), or null with an external broker
     * @param trackingQueue the tracking queue's name on the broker (check-now)
     */
    public PaymentTracking(List<Duration> schedule, Duration deadline, Clock clock, EmbeddedBroker broker,
                           String trackingQueue) {
        if (schedule.isEmpty()) {
            throw new IllegalStateException("pisp.tracking.schedule needs at least one delay");
        }
        this.schedule = List.copyOf(schedule);
        this.deadline = deadline;
        this.clock = clock;
        this.broker = broker;
        this.trackingQueue = trackingQueue;
    }

    /** "15s, 30s, 1m, 5m" (ms, s, m, h). */
    public static List<Duration> parseSchedule(String text) {
        List<Duration> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.strip().toLowerCase(Locale.ROOT);
            if (p.isEmpty()) {
                continue;
            }
            try {
                if (p.endsWith("ms")) {
                    out.add(Duration.ofMillis(Long.parseLong(p.substring(0, p.length() - 2).strip())));
                } else {
                    long n = Long.parseLong(p.substring(0, p.length() - 1).strip());
                    out.add(switch (p.charAt(p.length() - 1)) {
                        case 's' -> Duration.ofSeconds(n);
                        case 'm' -> Duration.ofMinutes(n);
                        case 'h' -> Duration.ofHours(n);
                        default -> throw new NumberFormatException();
                    });
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException("pisp.tracking.schedule: '" + part.strip()
                        + "' is not a delay such as 500ms, 15s, 1m or 1h");
            }
        }
        return out;
    }

    /** The delay before check number n (0-based): the schedule's, then its last one again and again. */
    public Duration delayBefore(int check) {
        return schedule.get(Math.min(check, schedule.size() - 1));
    }

    /**
     * Route step: the first check message of an accepted payment. In: the accepted outcome (body, JSON) or the headers
     * cdetab + paymentRequestResourceId. Out: body the tracking state, headers for a scheduled send.
     */
    public void start(Exchange exchange) throws Exception {
        Message msg = exchange.getMessage();
        JsonNode outcome = readQuietly(msg.getBody(String.class));
        String cdetab = firstOf(msg.getHeader("cdetab", String.class), text(outcome, "cdetab"));
        String resourceId = firstOf(msg.getHeader("paymentRequestResourceId", String.class),
                text(outcome, "paymentRequestResourceId"));
        String pid = firstOf(msg.getHeader("pispPaymentInformationId", String.class),
                text(outcome, "paymentInformationId"));
        if (cdetab == null || resourceId == null || !resourceId.matches("[A-Za-z0-9._~-]{1,128}")) {
            throw new PaymentFailedException(ErrorCode.INVALID_PAYMENT_REQUEST, "Tracking needs an accepted outcome "
                    + "(or the headers cdetab and paymentRequestResourceId) with a valid paymentRequestResourceId");
        }
        Instant now = clock.instant();
        ObjectNode state = JSON.createObjectNode();
        state.put("cdetab", cdetab);
        state.put("paymentRequestResourceId", resourceId);
        state.put("paymentInformationId", pid);
        state.putNull("lastStatus");
        state.put("checks", 0);
        state.put("startedAt", now.toString());
        state.put("deadline", now.plus(deadline).toString());
        next(exchange, state);
        LOG.info("Tracking payment {} (payment request {} at establishment {}) until a final status or {}", pid,
                resourceId, cdetab, state.get("deadline").asText());
    }

    /**
     * Route step: a check message arrived. Keeps its state in property pispTrackingState and sets the headers cdetab and
     * paymentRequestResourceId for the status read.
     */
    public void load(Exchange exchange) throws Exception {
        ObjectNode state = (ObjectNode) JSON.readTree(exchange.getMessage().getBody(String.class));
        exchange.setProperty(STATE, state);
        Message msg = exchange.getMessage();
        msg.removeHeaders("*");
        msg.setHeader("cdetab", state.path("cdetab").asText());
        msg.setHeader("paymentRequestResourceId", state.path("paymentRequestResourceId").asText());
        if (state.hasNonNull("paymentInformationId")) {
            msg.setHeader("pispPaymentInformationId", state.get("paymentInformationId").asText());
        }
    }

    /**
     * Route step, after the status read (its outcome is the message): sets pispTrackingDecision. CHANGED / FINAL: the
     * message is the status outcome to publish. EXPIRED: the deadline passed. UNCHANGED, or a failed read that may
     * succeed later: schedule the next check (see {@link #scheduleNext}). STOP: the bank does not know the payment.
     */
    public void decide(Exchange exchange) throws Exception {
        ObjectNode state = exchange.getProperty(STATE, ObjectNode.class);
        Message msg = exchange.getMessage();
        String outcome = msg.getHeader("pispOutcome", String.class);
        String decision;
        if ("STATUS".equals(outcome)) {
            JsonNode status = JSON.readTree(msg.getBody(String.class));
            String now = status.path("status").asText(null);
            String last = state.path("lastStatus").asText(null);
            boolean changed = now != null && !now.equals(last);
            if (now != null) {
                state.put("lastStatus", now);
            }
            decision = status.path("final").asBoolean() ? "FINAL" : changed ? "CHANGED" : "UNCHANGED";
        } else {
            String code = msg.getHeader("pispErrorCode", String.class);
            decision = ErrorCode.PAYMENT_REQUEST_NOT_FOUND.name().equals(code) ? "STOP" : "UNCHANGED";
            if (!"STOP".equals(decision)) {
                LOG.warn("Tracked payment {}: status read failed ({}), checking again later",
                        state.path("paymentInformationId").asText(), code);
            }
        }
        state.put("checks", state.path("checks").asInt() + 1);
        if (("UNCHANGED".equals(decision) || "CHANGED".equals(decision))
                && clock.instant().plus(delayBefore(state.path("checks").asInt()))
                        .isAfter(Instant.parse(state.path("deadline").asText()))) {
            decision = "CHANGED".equals(decision) ? "CHANGED_THEN_EXPIRED" : "EXPIRED";
        }
        exchange.setProperty(DECISION, decision);
        msg.setHeader("pispTracking", decision);
    }

    /** Route step: body and headers of the next check message (the state, delivered after the next delay). */
    public void scheduleNext(Exchange exchange) throws Exception {
        next(exchange, exchange.getProperty(STATE, ObjectNode.class));
    }

    /** Route step: the failed outcome of a tracking that gave up (TRACKING_EXPIRED), published to the status queue. */
    public void expired(Exchange exchange) throws Exception {
        ObjectNode state = exchange.getProperty(STATE, ObjectNode.class);
        Message msg = exchange.getMessage();
        msg.removeHeaders("*");
        msg.setBody(JSON.writeValueAsString(state));
        msg.setHeader("pispOutcome", "FAILED");
        msg.setHeader("pispErrorCode", ErrorCode.TRACKING_EXPIRED.name());
        msg.setHeader("pispErrorReason", "No final status by " + state.path("deadline").asText() + " after "
                + state.path("checks").asInt() + " checks; last status " + state.path("lastStatus").asText("none")
                + ". Read the status later (direct:get-payment-request) or reconcile with the bank.");
        msg.setHeader("cdetab", state.path("cdetab").asText());
        msg.setHeader("paymentRequestResourceId", state.path("paymentRequestResourceId").asText());
        if (state.hasNonNull("paymentInformationId")) {
            msg.setHeader("pispPaymentInformationId", state.get("paymentInformationId").asText());
        }
    }

    /**
     * Route step: a status request for a payment being tracked makes its pending check run now (embedded broker). True
     * when there was one; with an external broker the next scheduled check happens as planned.
     */
    public boolean checkNow(Exchange exchange) {
        String cdetab = exchange.getMessage().getHeader("cdetab", String.class);
        String resourceId = exchange.getMessage().getHeader("paymentRequestResourceId", String.class);
        if (broker == null || cdetab == null || resourceId == null) {
            return false;
        }
        boolean found = broker.deliverScheduledNow(trackingQueue, KEY, cdetab + "/" + resourceId);
        if (found) {
            LOG.info("Tracked payment request {} at establishment {}: checking now", resourceId, cdetab);
        }
        return found;
    }

    private void next(Exchange exchange, ObjectNode state) throws Exception {
        Message msg = exchange.getMessage();
        msg.removeHeaders("*");
        msg.setBody(JSON.writeValueAsString(state));
        msg.setHeader(KEY, state.path("cdetab").asText() + "/" + state.path("paymentRequestResourceId").asText());
        msg.setHeader(SCHEDULED_DELIVERY,
                clock.millis() + delayBefore(state.path("checks").asInt()).toMillis());
    }

    /** For tests and the README: how many status reads a payment costs if it stays in one status for this long. */
    public int readsWithin(Duration d) {
        long t = 0;
        int n = 0;
        while (true) {
            t += delayBefore(n).toMillis();
            if (t > d.toMillis()) {
                return n;
            }
            n++;
        }
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schedule", schedule.stream().map(Duration::toString).toList());
        m.put("deadline", deadline.toString());
        return m;
    }

    private static JsonNode readQuietly(String s) {
        try {
            return s == null || s.isBlank() ? null : JSON.readTree(s);
        } catch (Exception e) {
            return null;
        }
    }

    private static String text(JsonNode n, String f) {
        JsonNode v = n == null ? null : n.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String firstOf(String a, String b) {
        return a != null && !a.isBlank() ? a : b;
    }
}
