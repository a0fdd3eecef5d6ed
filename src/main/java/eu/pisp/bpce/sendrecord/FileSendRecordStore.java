package eu.pisp.bpce.sendrecord;

import java.nio.file.Path;
import java.time.Duration;

import org.apache.camel.support.service.ServiceSupport;

/**
 * {@code pisp.send-record.store=file}: the send record in a local append-only file ({@link SendJournal}). Fast and
 * crash-safe for <b>one</b> instance; a second instance on the same queue does not see it (a message it redelivers
 * from a dead instance is sent again). For several instances use the {@code jdbc} store.
 *
 * <p>It keeps only which message claimed a payment: accepted / unknown are not recorded, and retention is by count
 * ({@code pisp.send-record.max-entries}), not by age.
 */
public final class FileSendRecordStore extends ServiceSupport implements SendRecordStore {

    private final SendJournal journal;

    /**
     * @param file       {@code pisp.send-record.file}
     * @param maxEntries {@code pisp.send-record.max-entries}: the oldest payments are forgotten beyond this
     * @param fsync      {@code pisp.send-record.fsync}: force each line to disk (survives a power loss)
     */
    public FileSendRecordStore(Path file, int maxEntries, boolean fsync) {
        this.journal = new SendJournal(file, maxEntries, fsync);
    }

    @Override
    protected void doStart() {
        journal.start();
    }

    @Override
    protected void doStop() {
        journal.stop();
    }

    @Override
    public Claim claim(PaymentSend send) {
        SendJournal.Begin begin;
        try {
            begin = journal.begin(send.key(), send.messageId());
        } catch (IllegalStateException e) {
            throw new SendRecordUnavailableException(e.getMessage());
        }
        return switch (begin) {
            case NEW -> Claim.NEW;
            case SAME_MESSAGE -> Claim.earlier(Claimed.SAME_MESSAGE);
            case OTHER_MESSAGE -> Claim.earlier(Claimed.OTHER_MESSAGE);
        };
    }

    @Override
    public void accepted(PaymentSend send, String resourceId) {
        // The file keeps only the claim: nothing to add.
    }

    @Override
    public void unknown(PaymentSend send) {
        // Likewise.
    }

    @Override
    public boolean release(PaymentSend send) {
        try {
            return journal.forget(send.key(), send.messageId());
        } catch (IllegalStateException e) {
            throw new SendRecordUnavailableException(e.getMessage());
        }
    }

    @Override
    public int purgeOlderThan(Duration retention) {
        return 0; // bounded by max-entries instead
    }

    @Override
    public String kind() {
        return "file";
    }

    @Override
    public boolean shared() {
        return false;
    }

    /** The journal, for tests and the benchmark. */
    @Override
    public String writeProblem() {
        return journal.writeProblem();
    }

    public SendJournal journal() {
        return journal;
    }
}
