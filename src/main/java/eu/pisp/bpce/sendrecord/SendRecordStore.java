package eu.pisp.bpce.sendrecord;

import java.time.Duration;

import org.apache.camel.Service;

/**
 * Where the module remembers which payments it has started sending: the guard that keeps a payment from reaching a
 * bank twice. One implementation per kind of store, chosen by {@code pisp.send-record.store}; the routes only see
 * {@link SendRecord}, which talks to this interface.
 *
 * <p>A claim is made, and durable, before the HTTP call: of any number of callers (threads or instances) claiming the
 * same payment, exactly one gets {@link Claimed#NEW}.
 */
public interface SendRecordStore extends Service {

    /** What a claim found. */
    enum Claimed {
        /** Recorded now, by this claim: the send may start. */
        NEW,
        /** This very message started sending this payment before (a crash, a rollback or another instance since). */
        SAME_MESSAGE,
        /** Another message started sending this payment. */
        OTHER_MESSAGE
    }

    /**
     * The answer to a claim, with what the store knows of the earlier send when there was one (any of these may be
     * null: the file store keeps only which message it was).
     *
     * @param claimed    NEW, SAME_MESSAGE or OTHER_MESSAGE
     * @param state      the earlier send's recorded state ({@code SENDING}, {@code ACCEPTED}, {@code UNKNOWN})
     * @param resourceId the bank's paymentRequestResourceId, when the earlier send was accepted
     * @param instance   the instance that made the earlier claim
     * @param claimedAt  when the earlier claim was made (ISO-8601)
     */
    record Claim(Claimed claimed, String state, String resourceId, String instance, String claimedAt) {
        public static final Claim NEW = new Claim(Claimed.NEW, null, null, null, null);

        public static Claim earlier(Claimed claimed) {
            return new Claim(claimed, null, null, null, null);
        }
    }

    /**
     * Claims payment {@code send.key()} for {@code send.messageId()}, durably, or says who had it.
     *
     * @throws SendRecordUnavailableException when the store cannot answer: nothing may be sent
     */
    Claim claim(PaymentSend send);

    /** The bank accepted the claimed payment. Best effort: the claim stands whatever happens here. */
    void accepted(PaymentSend send, String resourceId);

    /** The claimed payment's outcome is unknown (it may be at the bank). Best effort, as {@link #accepted}. */
    void unknown(PaymentSend send);

    /**
     * Removes this claim (and only this one): the bank certainly does not have the payment, it may be submitted again.
     *
     * @return false if there was no such claim
     */
    boolean release(PaymentSend send);

    /**
     * Deletes what is older than {@code retention}, a few rows at a time so that claims never wait behind it.
     *
     * @return how many records were deleted
     */
    int purgeOlderThan(Duration retention);

    /**
     * Why the store cannot be written now, or null when it can (the readiness check). May block briefly; the caller
     * bounds the wait.
     */
    String writeProblem();

    /** The kind of store, for logs and the info endpoint: {@code file} or {@code jdbc}. */
    String kind();

    /** True for a store every instance shares (several instances may consume the same queue safely). */
    boolean shared();
}
