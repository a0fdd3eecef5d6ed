package eu.pisp.bpce.sendrecord;

import java.time.Duration;

import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.Props;
import eu.pisp.bpce.payment.RequestIds;
import eu.pisp.bpce.sendrecord.SendRecordStore.Claim;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The route steps of the send record: a payment (establishment + paymentInformationId) is sent to a bank at most once,
 * across crashes, restarts and, with a shared store, instances:
 * <ul>
 * <li>the same message coming back (a crash, a rollback, its first consumer died), whose first send may have reached
 * the bank, ends as OUTCOME_UNKNOWN instead of being sent again;</li>
 * <li>another message with the same establishment and paymentInformationId ends as DUPLICATE_PAYMENT.</li>
 * </ul>
 * A payment the bank certainly did not take (unreachable, 429/503, refused) is released, so it may be submitted
 * again. Which store holds the record ({@link SendRecordStore}) is configuration; these steps are the same for all.
 */
public final class SendRecord {

    private static final Logger LOG = LoggerFactory.getLogger(SendRecord.class);

    private final SendRecordStore store;
    private final Duration retention;
    private volatile SendRecordEvents events = SendRecordEvents.NONE;

    /**
     * @param store     the store chosen by {@code pisp.send-record.store}
     * @param retention {@code pisp.send-record.retention-days}: records older than this are deleted by {@link #purge}
     */
    public SendRecord(SendRecordStore store, Duration retention) {
        this.store = store;
        this.retention = retention;
    }

    /** Where claims, refusals and unknown outcomes are reported (metrics). */
    public void setEvents(SendRecordEvents events) {
        this.events = events == null ? SendRecordEvents.NONE : events;
    }

    /**
     * Route step, right before the payment is sent: claims it, or fails with OUTCOME_UNKNOWN / DUPLICATE_PAYMENT if
     * it was claimed before. Throws {@link SendRecordUnavailableException} (nothing sent) when the store cannot answer;
     * a redelivery of this step makes the same claim again (same claim id).
     */
    public void begin(Exchange exchange) {
        String cdetab = exchange.getProperty(Props.CDETAB, String.class);
        String paymentId = exchange.getProperty(Props.PAYMENT_ID, String.class);
        String messageId = exchange.getProperty(Props.MESSAGE_ID, String.class);
        PaymentSend send = exchange.getProperty(Props.SEND_CLAIM, PaymentSend.class);
        // The same claim (same claim id) only when this step is redelivered for this very payment and message.
        if (send == null || !send.cdetab().equals(cdetab) || !send.paymentInformationId().equals(paymentId)
                || !java.util.Objects.equals(send.messageId(), messageId)) {
            send = new PaymentSend(cdetab, paymentId, messageId, exchange.getProperty(Props.REQUEST_ID, String.class),
                    RequestIds.randomUuid());
            exchange.setProperty(Props.SEND_CLAIM, send);
            exchange.removeProperty(Props.SEND_CLAIMED);
        }
        Claim claim;
        try {
            claim = store.claim(send);
        } catch (SendRecordUnavailableException e) {
            releaseQuietly(send); // a claim committed without an answer must not outlive this failure
            events.unavailable(cdetab);
            throw e;
        }
        events.claimed(cdetab, claim.claimed());
        switch (claim.claimed()) {
            case NEW -> exchange.setProperty(Props.SEND_CLAIMED, Boolean.TRUE);
            case SAME_MESSAGE -> throw new PaymentFailedException(ErrorCode.OUTCOME_UNKNOWN, "Payment " + send.key()
                    + " was being sent when this very message was processed before, and that processing did not "
                    + "finish (crash, rollback, or its instance stopped)" + earlier(claim) + ": the bank may have it. "
                    + "Not sent again; reconcile with X-Request-ID " + send.requestId() + ".");
            case OTHER_MESSAGE -> throw new PaymentFailedException(ErrorCode.DUPLICATE_PAYMENT, "Payment " + send.key()
                    + " was already sent by this module" + earlier(claim) + " (accepted, or its outcome is unknown): "
                    + "not sent again. A new payment needs a new paymentInformationId.");
        }
    }

    /** Route step after the bank's 201, with the accepted outcome (a map) as body: records the bank's resource id. */
    public void accepted(Exchange exchange) {
        PaymentSend send = claimed(exchange);
        if (send != null) {
            String resourceId = exchange.getProperty(Props.ACCEPTED_RESOURCE_ID, String.class);
            try {
                store.accepted(send, resourceId);
            } catch (RuntimeException e) {
                // The claim stands (a redelivery is still refused): only the record's detail is missing.
                LOG.warn("Payment {} accepted, but the send record could not note it: {}", send.key(), e.getMessage());
            }
        }
    }

    /** Route step for an OUTCOME_UNKNOWN after the send started: notes it for the operator's reconciliation. */
    public void unknown(Exchange exchange) {
        PaymentSend send = claimed(exchange);
        if (send != null) {
            events.outcomeUnknown(send.cdetab());
            try {
                store.unknown(send);
            } catch (RuntimeException e) {
                LOG.warn("Payment {} outcome unknown, and the send record could not note it: {}", send.key(),
                        e.getMessage());
            }
        }
    }

    /** Route step: the bank certainly does not have the payment (or refused it): it may be submitted again. */
    public void forget(Exchange exchange) {
        PaymentSend send = claimed(exchange);
        if (send != null) {
            exchange.removeProperty(Props.SEND_CLAIMED);
            try {
                store.release(send);
                LOG.debug("Send record: released {}", send.key());
            } catch (RuntimeException e) {
                LOG.warn("Payment {} was not sent, but the send record could not release it: a resubmission will be "
                        + "refused as DUPLICATE_PAYMENT until the record is deleted ({})", send.key(), e.getMessage());
            }
        }
    }

    /** Timer step: deletes the records older than the retention, in small batches. */
    public void purge() {
        try {
            int deleted = store.purgeOlderThan(retention);
            if (deleted > 0) {
                LOG.info("Send record: deleted {} records older than {} days", deleted, retention.toDays());
            }
        } catch (RuntimeException e) {
            LOG.warn("Send record retention did not run: {}", e.getMessage());
        }
    }

    public SendRecordStore store() {
        return store;
    }

    private static PaymentSend claimed(Exchange exchange) {
        return Boolean.TRUE.equals(exchange.getProperty(Props.SEND_CLAIMED, Boolean.class))
                ? exchange.getProperty(Props.SEND_CLAIM, PaymentSend.class) : null;
    }

    private void releaseQuietly(PaymentSend send) {
        try {
            store.release(send);
        } catch (RuntimeException ignored) {
            // the store is down: the retry of this step recognises the claim as its own
        }
    }

    private static String earlier(Claim claim) {
        StringBuilder s = new StringBuilder();
        if (claim.state() != null) {
            s.append("; the send record has it ").append(claim.state());
            if (claim.resourceId() != null) {
                s.append(" as paymentRequestResourceId ").append(claim.resourceId());
            }
        }
        if (claim.instance() != null) {
            s.append(", claimed by instance ").append(claim.instance());
        }
        if (claim.claimedAt() != null) {
            s.append(" at ").append(claim.claimedAt());
        }
        return s.toString();
    }
}
