package eu.pisp.bpce.sim;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * One payment request the simulator accepted: the bytes as received (kept once), where and when it came, and its
 * script: what the customer and the bank will do and when. Its status is computed when it is read, from the script and
 * the events added since (admin calls, cancellation, confirmation): no thread moves it.
 */
final class StoredPaymentRequest {

    /** What can happen to a payment request, in the order applied when two happen at the same millisecond. */
    enum Kind { APPROVE, CONFIRM, REJECT, NOAS, EXECUTE, CANCEL_REQUEST, CANCEL_APPROVE }

    /**
     * How the request executes, which decides whether it can be cancelled: never an instant one; a standing order;
     * a single one only while its requested execution date is after today.
     */
    enum Timing { INSTANT, SINGLE, STANDING_ORDER }

    /**
     * Something that happens at {@code at} (epoch ms). {@code code}/{@code reason}: the status and reason a rejection
     * or cancellation sets; {@code after}: for a cancellation request, when the customer approves it (-1 never).
     */
    record Event(long at, Kind kind, String code, String reason, long after, long seq) {
    }

    /** The status at one moment. */
    record State(String status, String reason, String transactionStatus, boolean confirmed,
                 boolean cancellationPending) {
        boolean isFinal() {
            return isFinal(status);
        }

        static boolean isFinal(String status) {
            return status.equals("ACSC") || status.equals("RJCT") || status.equals("CANC");
        }
    }

    private static final Comparator<Event> ORDER = Comparator.comparingLong(Event::at)
            .thenComparing(Event::kind).thenComparingLong(Event::seq);

    final String resourceId;
    final String cdetab;
    final String paymentInformationId;
    final StetApiVersion version;
    final byte[] body;
    final long createdAt;
    final Timing timing;
    /** The earliest requested execution date (its own offset's calendar date), or null. */
    final LocalDate requestedExecutionDate;

    // the script, fixed when the request arrived (-1: never)
    private final long autoApproveAt;
    private final long autoRejectAt;
    private final String autoRejectReason;
    private final long noasAt;
    private final long executionAfterMs;
    private final long executionNotBefore;

    /** Events added after creation; null until the first (most requests never get one). Guarded by this. */
    private List<Event> events;
    private long seq;
    /** The status each status read was answered with, in order; null until the first read. Guarded by this. */
    private List<String> statusesRead;

    StoredPaymentRequest(String resourceId, String cdetab, String paymentInformationId, StetApiVersion version,
                         byte[] body, long createdAt, Timing timing, LocalDate requestedExecutionDate,
                         long autoApproveAt, long autoRejectAt, String autoRejectReason, long noasAt,
                         long executionAfterMs, long executionNotBefore) {
        this.resourceId = resourceId;
        this.cdetab = cdetab;
        this.paymentInformationId = paymentInformationId;
        this.version = version;
        this.body = body;
        this.createdAt = createdAt;
        this.timing = timing;
        this.requestedExecutionDate = requestedExecutionDate;
        this.autoApproveAt = autoApproveAt;
        this.autoRejectAt = autoRejectAt;
        this.autoRejectReason = autoRejectReason;
        this.noasAt = noasAt;
        this.executionAfterMs = executionAfterMs;
        this.executionNotBefore = executionNotBefore;
    }

    /**
     * Adds an event happening now when the state now allows it.
     *
     * @return whether it was added
     */
    synchronized boolean add(long now, Kind kind, String code, String reason, long after, Predicate<State> when) {
        if (!when.test(stateAt(now))) {
            return false;
        }
        if (events == null) {
            events = new ArrayList<>(2);
        }
        events.add(new Event(now, kind, code, reason, after, seq++));
        return true;
    }

    /** The status at {@code now}, as a status read answers it: noted in {@link #statusesRead()}. */
    synchronized State readStatus(long now) {
        State state = stateAt(now);
        if (statusesRead == null) {
            statusesRead = new ArrayList<>(4);
        }
        statusesRead.add(state.status());
        return state;
    }

    /** The statuses the status reads of this request were answered with, in order (a copy). */
    synchronized List<String> statusesRead() {
        return statusesRead == null ? List.of() : List.copyOf(statusesRead);
    }

    /** The status at {@code now}: the script and the added events applied in time order. */
    synchronized State stateAt(long now) {
        PriorityQueue<Event> queue = new PriorityQueue<>(ORDER);
        long s = Long.MIN_VALUE;
        if (autoApproveAt >= 0) {
            queue.add(new Event(autoApproveAt, Kind.APPROVE, null, null, -1, s++));
        }
        if (autoRejectAt >= 0) {
            queue.add(new Event(autoRejectAt, Kind.REJECT, "RJCT", autoRejectReason, -1, s++));
        }
        if (noasAt >= 0) {
            queue.add(new Event(noasAt, Kind.NOAS, "RJCT", "NOAS", -1, s++));
        }
        if (events != null) {
            queue.addAll(events);
        }
        String status = "RCVD";
        String reason = null;
        boolean confirmed = false;
        Event pendingCancellation = null;
        while (!queue.isEmpty() && queue.peek().at() <= now) {
            Event e = queue.poll();
            if (State.isFinal(status)) {
                break;
            }
            switch (e.kind()) {
                case APPROVE, CONFIRM -> {
                    if (e.kind() == Kind.CONFIRM) {
                        confirmed = true;
                    }
                    if (status.equals("RCVD")) {
                        status = "ACSP";
                        if (executionAfterMs >= 0) {
                            queue.add(new Event(Math.max(e.at() + executionAfterMs, executionNotBefore),
                                    Kind.EXECUTE, null, null, -1, s++));
                        }
                    }
                }
                case REJECT -> {
                    status = "RJCT";
                    reason = e.reason();
                }
                case NOAS -> {
                    if (status.equals("RCVD")) {
                        status = "RJCT";
                        reason = "NOAS";
                    }
                }
                case EXECUTE -> {
                    if (status.equals("ACSP")) {
                        status = "ACSC";
                    }
                }
                case CANCEL_REQUEST -> {
                    pendingCancellation = e;
                    if (e.after() >= 0) {
                        queue.add(new Event(e.at() + e.after(), Kind.CANCEL_APPROVE, null, null, -1, e.seq()));
                    }
                }
                case CANCEL_APPROVE -> {
                    // an automatic approval belongs to its own request (same seq); an admin one to the latest
                    if (pendingCancellation != null
                            && (e.code() != null || e.seq() == pendingCancellation.seq())) {
                        status = pendingCancellation.code();
                        reason = pendingCancellation.reason();
                        pendingCancellation = null;
                    }
                }
                default -> throw new IllegalStateException(e.kind().name());
            }
        }
        boolean pending = pendingCancellation != null && !State.isFinal(status);
        return new State(status, reason, transactionStatus(status, confirmed), confirmed, pending);
    }

    private String transactionStatus(String status, boolean confirmed) {
        return switch (status) {
            case "RCVD" -> "PDNG";
            // BPCE 1.6.2 expects its confirmation at ACSP with the transaction PDNG
            case "ACSP" -> version.hasConfirmation() && !confirmed ? "PDNG" : "ACSP";
            case "ACSC" -> "ACSC";
            default -> "RJCT";
        };
    }
}
