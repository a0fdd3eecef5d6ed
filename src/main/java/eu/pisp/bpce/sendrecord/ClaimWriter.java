package eu.pisp.bpce.sendrecord;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

import eu.pisp.bpce.sendrecord.SendRecordStore.Claim;
import eu.pisp.bpce.sendrecord.SendRecordStore.Claimed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the claims of the jdbc store: a few writer threads, each taking every claim waiting at that moment and making
 * them with one {@code INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING claim_id}: one statement
 * and one commit for a whole batch (group commit, as the file journal does). Alone, a claim is one round trip; under
 * load, batches grow by themselves and the database makes far fewer commits than payments.
 *
 * <p>Each claim is still decided by the primary key alone: a payment claimed twice in one batch, or in two batches of
 * two instances at once, is inserted once, and every claim learns whether its own claim id is the one that went in.
 */
final class ClaimWriter {

    private static final Logger LOG = LoggerFactory.getLogger(ClaimWriter.class);
    private static final int MAX_BATCH = 256;
    /** How many times a claim whose key was released between the insert and the read is tried again. */
    private static final int RACE_ROUNDS = 3;

    private static final String INSERT = "INSERT INTO pisp_send_record (cdetab, payment_information_id, message_id, "
            + "request_id, claim_id, instance_id, state) "
            + "SELECT c, p, m, r, i, ?, 'SENDING' FROM unnest(?::varchar[], ?::varchar[], ?::text[], ?::varchar[], "
            + "?::uuid[]) AS claim(c, p, m, r, i) "
            + "ON CONFLICT (cdetab, payment_information_id) DO NOTHING RETURNING claim_id";
    private static final String EARLIER = "SELECT cdetab, payment_information_id, message_id, claim_id, state, "
            + "resource_id, instance_id, to_char(claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
            + "FROM pisp_send_record WHERE (cdetab, payment_information_id) IN "
            + "(SELECT * FROM unnest(?::varchar[], ?::varchar[]))";

    /** A claim waiting for its answer. */
    private record Pending(PaymentSend send, CompletableFuture<Claim> answer, int round) {
    }

    private final DataSource dataSource;
    private final String instanceId;
    private final long answerTimeoutMs;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final List<Thread> writers = new ArrayList<>();
    private volatile boolean running = true;
    private final long lingerNanos;
    private final java.util.concurrent.atomic.AtomicLong claimsWritten = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong batchesWritten = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param dataSource      the store's pool
     * @param writers         claim writer threads (each holds a connection only while it writes a batch)
     * @param instanceId      written with each claim
     * @param answerTimeoutMs how long a payment waits for its claim before it counts as unavailable
     * @param lingerMicros    how long a writer waits for more claims after the first of a batch
     */
    ClaimWriter(DataSource dataSource, int writers, String instanceId, long answerTimeoutMs, long lingerMicros) {
        this.dataSource = dataSource;
        this.lingerNanos = lingerMicros * 1_000;
        this.instanceId = instanceId;
        this.answerTimeoutMs = answerTimeoutMs;
        for (int i = 0; i < writers; i++) {
            Thread t = new Thread(this::run, "pisp-send-record-claims-" + i);
            t.setDaemon(true);
            this.writers.add(t);
        }
    }

    void start() {
        writers.forEach(Thread::start);
    }

    void stop() throws InterruptedException {
        running = false;
        for (Thread t : writers) {
            t.interrupt();
        }
        for (Thread t : writers) {
            t.join(5_000);
        }
        Pending left; // what no writer took (or re-queued meanwhile) is answered too
        while ((left = queue.poll()) != null) {
            left.answer().completeExceptionally(new SendRecordUnavailableException("the send record is stopping"));
        }
    }

    /** Claims one payment: waits for the batch it went into. */
    Claim claim(PaymentSend send) {
        if (!running) {
            throw new SendRecordUnavailableException("the send record is stopped");
        }
        Pending p = new Pending(send, new CompletableFuture<>(), 0);
        queue.add(p);
        if (!running && queue.remove(p)) {
            throw new SendRecordUnavailableException("the send record is stopped");
        }
        try {
            return p.answer().get(answerTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof SendRecordUnavailableException u ? u
                    : new SendRecordUnavailableException(String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            throw new SendRecordUnavailableException("The send record database gave no answer to the claim of payment "
                    + send.key() + " within " + answerTimeoutMs + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SendRecordUnavailableException("interrupted while claiming payment " + send.key());
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (running) {
            try {
                Pending first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                gather(batch);
                write(batch);
            } catch (InterruptedException e) {
                // stop()
            } catch (Throwable e) {
                // Whatever went wrong, every claim taken gets an answer (and this writer carries on).
                SendRecordUnavailableException failure = new SendRecordUnavailableException("The send record "
                        + "could not make the claim: " + e);
                batch.forEach(p -> p.answer().completeExceptionally(failure));
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Adds the claims that arrive within the linger after the first (at most MAX_BATCH): at a few thousand payments
     * a second, claims rarely wait for each other, and a batch of one costs the database a statement and a commit per
     * payment. A millisecond is nothing next to a bank call.
     */
    private void gather(List<Pending> batch) {
        long deadline = System.nanoTime() + lingerNanos;
        queue.drainTo(batch, MAX_BATCH - batch.size());
        while (batch.size() < MAX_BATCH && running) {
            long left = deadline - System.nanoTime();
            Pending next;
            try {
                next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
            } catch (InterruptedException stopping) {
                return; // stop(): what was taken is still written
            }
            if (next == null) {
                return;
            }
            batch.add(next);
            queue.drainTo(batch, MAX_BATCH - batch.size());
        }
    }

    /** Claims and batches written so far (for the benchmark). */
    long[] counts() {
        return new long[] {claimsWritten.get(), batchesWritten.get()};
    }

    /** One batch, on a live connection (after a database restart, past the dead ones: {@link LiveConnections}). */
    private void write(List<Pending> batch) {
        // A claim whose caller stopped waiting is not made now: the caller's retry brings the same claim id again.
        batch.removeIf(p -> p.answer().isDone());
        if (batch.isEmpty()) {
            return;
        }
        SQLException cause;
        try {
            LiveConnections.run(dataSource, c -> {
                decide(c, batch);
                return null;
            });
            claimsWritten.addAndGet(batch.size());
            batchesWritten.incrementAndGet();
            return;
        } catch (SQLException e) {
            cause = e;
        }
        LOG.debug("Send record claim batch failed", cause);
        for (Pending p : batch) {
            p.answer().completeExceptionally(JdbcSendRecordStore.unavailable("claim payment " + p.send().key(), cause));
        }
    }

    /** Inserts the batch, then tells each claim whether its own claim id went in, or who had the payment. */
    private void decide(Connection c, List<Pending> batch) throws SQLException {
        Set<UUID> inserted = new HashSet<>();
        try (PreparedStatement insert = c.prepareStatement(INSERT)) {
            insert.setString(1, instanceId);
            insert.setArray(2, array(c, "varchar", batch, p -> p.send().cdetab()));
            insert.setArray(3, array(c, "varchar", batch, p -> p.send().paymentInformationId()));
            insert.setArray(4, array(c, "text", batch, p -> nullToEmpty(p.send().messageId())));
            insert.setArray(5, array(c, "varchar", batch, p -> nullToEmpty(p.send().requestId())));
            insert.setArray(6, c.createArrayOf("uuid", batch.stream().map(p -> UUID.fromString(p.send().claimId()))
                    .toArray()));
            try (ResultSet r = insert.executeQuery()) {
                while (r.next()) {
                    inserted.add(r.getObject(1, UUID.class));
                }
            }
        }
        List<Pending> others = new ArrayList<>();
        for (Pending p : batch) {
            if (inserted.contains(UUID.fromString(p.send().claimId()))) {
                p.answer().complete(Claim.NEW);
            } else {
                others.add(p);
            }
        }
        if (others.isEmpty()) {
            return;
        }
        Map<String, Claim> byKeyAndClaim = new HashMap<>();
        Map<String, String[]> rows = new HashMap<>();
        try (PreparedStatement select = c.prepareStatement(EARLIER)) {
            select.setArray(1, array(c, "varchar", others, p -> p.send().cdetab()));
            select.setArray(2, array(c, "varchar", others, p -> p.send().paymentInformationId()));
            try (ResultSet r = select.executeQuery()) {
                while (r.next()) {
                    rows.put(r.getString(1) + "/" + r.getString(2), new String[] {r.getString(3),
                            r.getObject(4, UUID.class).toString(), r.getString(5), r.getString(6), r.getString(7),
                            r.getString(8)});
                }
            }
        }
        for (Pending p : others) {
            String[] row = rows.get(p.send().key());
            if (row == null) {
                // Released between our insert and our read: claim again, a bounded number of times.
                if (p.round() + 1 < RACE_ROUNDS) {
                    queue.add(new Pending(p.send(), p.answer(), p.round() + 1));
                } else {
                    p.answer().completeExceptionally(new SendRecordUnavailableException("Payment " + p.send().key()
                            + " was claimed and released " + RACE_ROUNDS + " times while this claim was made"));
                }
                continue;
            }
            if (row[1].equals(p.send().claimId())) {
                // Our own claim, committed by an earlier try whose answer was lost.
                p.answer().complete(Claim.NEW);
                continue;
            }
            Claimed claimed = nullToEmpty(p.send().messageId()).equals(row[0]) ? Claimed.SAME_MESSAGE
                    : Claimed.OTHER_MESSAGE;
            p.answer().complete(new Claim(claimed, row[2], row[3], row[4], row[5]));
        }
    }

    private static Array array(Connection c, String type, List<Pending> batch,
                               java.util.function.Function<Pending, String> field) throws SQLException {
        return c.createArrayOf(type, batch.stream().map(field).toArray());
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
