package eu.pisp.bpce.sendrecord;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what happened to a claimed payment (ACCEPTED with the bank's resource id, UNKNOWN) behind the payments, many
 * rows per transaction, on one thread: the claim is the only statement a payment waits for.
 *
 * <p>Safe because a note only details a claim that already stands: a note lost (crash, database down, queue full)
 * leaves the row SENDING, and the row still refuses a second send (same message: OUTCOME_UNKNOWN; another:
 * DUPLICATE_PAYMENT), exactly as with the note.
 */
final class NoteWriter implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(NoteWriter.class);
    /**
     * The whole batch in one statement and one round trip: set_config(..., true) switches synchronous_commit off for
     * this statement's own transaction only, so its commit does not wait for the WAL flush.
     */
    private static final String SET_STATES = "WITH async AS MATERIALIZED (SELECT set_config('synchronous_commit', "
            + "'off', true)) UPDATE pisp_send_record r SET state = n.s, resource_id = n.res, updated_at = now() "
            + "FROM async, unnest(?::varchar[], ?::varchar[], ?::uuid[], ?::varchar[], ?::text[]) "
            + "AS n(c, p, i, s, res) WHERE r.cdetab = n.c AND r.payment_information_id = n.p AND r.claim_id = n.i";
    /** Notes wait this long for company: they are not on any payment's path. */
    private static final long LINGER_MS = 20;
    private static final int MAX_BATCH = 500;

    /** One row to update. */
    record Note(String state, String resourceId, PaymentSend send) {
    }

    private final DataSource dataSource;
    private final BlockingQueue<Note> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private volatile boolean running = true;
    private final Thread thread;

    /**
     * @param dataSource the store's pool (the writer holds one connection only while it writes a batch)
     * @param capacity   notes waiting at most; beyond, new notes are dropped (counted, logged)
     */
    NoteWriter(DataSource dataSource, int capacity) {
        this.dataSource = dataSource;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this, "pisp-send-record-notes");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Queues a note; never blocks a payment. */
    void add(Note note) {
        if (!queue.offer(note) && dropped.incrementAndGet() % 1000 == 1) {
            LOG.warn("Send record notes are {} behind: dropping some (their claims stand; rows stay SENDING)",
                    queue.size());
        }
    }

    /** Notes written so far (for tests and the benchmark). */
    long written() {
        return written.get();
    }

    /** Writes what is queued, then stops (waits at most {@code timeoutMs}). */
    void stop(long timeoutMs) throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(timeoutMs);
    }

    @Override
    public void run() {
        List<Note> batch = new ArrayList<>(MAX_BATCH);
        while (running || !queue.isEmpty()) {
            try {
                Note first = running ? queue.poll(1, TimeUnit.SECONDS) : queue.poll();
                if (first == null) {
                    continue;
                }
                batch.add(first);
                if (running && batch.size() + queue.size() < MAX_BATCH) {
                    try {
                        Thread.sleep(LINGER_MS); // let a batch form
                    } catch (InterruptedException stopping) {
                        // stop(): write what was taken now
                    }
                }
                queue.drainTo(batch, MAX_BATCH - batch.size());
                write(batch);
            } catch (InterruptedException e) {
                // stop(): write what is left, then end
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * One statement for the whole batch, committed without waiting for the WAL flush: a note lost to a database crash
     * leaves its claim standing, which is all the claim needs. Claims themselves always wait for the flush.
     */
    private void write(List<Note> batch) {
        try (Connection c = dataSource.getConnection(); PreparedStatement update = c.prepareStatement(SET_STATES)) {
            update.setArray(1, c.createArrayOf("varchar", batch.stream().map(n -> n.send().cdetab()).toArray()));
            update.setArray(2, c.createArrayOf("varchar",
                    batch.stream().map(n -> n.send().paymentInformationId()).toArray()));
            update.setArray(3, c.createArrayOf("uuid",
                    batch.stream().map(n -> UUID.fromString(n.send().claimId())).toArray()));
            update.setArray(4, c.createArrayOf("varchar", batch.stream().map(Note::state).toArray()));
            update.setArray(5, c.createArrayOf("text", batch.stream().map(Note::resourceId).toArray()));
            update.executeUpdate();
            written.addAndGet(batch.size());
        } catch (SQLException | RuntimeException e) {
            // Never ends the writer: the next batch is tried as usual.
            LOG.warn("Send record: {} notes (accepted / unknown) not written, their claims stand: {}", batch.size(),
                    e.getMessage());
        }
    }
}
