package eu.pisp.bpce.payment;

import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.Props;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers, across restarts, which payments (establishment + paymentInformationId) this module has started sending,
 * so that a payment is never sent to a bank twice by accident:
 * <ul>
 * <li>the same message coming back after a crash or a rollback, whose first send may have reached the bank, ends as
 * OUTCOME_UNKNOWN instead of being sent again;</li>
 * <li>another message with the same establishment and paymentInformationId ends as DUPLICATE_PAYMENT.</li>
 * </ul>
 * A payment the bank certainly did not take (unreachable, 429/503, refused) is forgotten, so it may be submitted again.
 */
public final class SendRecord {

    private static final Logger LOG = LoggerFactory.getLogger(SendRecord.class);
    static final String KEY = "pispSendKey";

    private final SendJournal journal;

    public SendRecord(SendJournal journal) {
        this.journal = journal;
    }

    /** Records the send about to start, or fails with OUTCOME_UNKNOWN / DUPLICATE_PAYMENT if one was started before. */
    public void begin(Exchange exchange) {
        String key = exchange.getProperty(Props.CDETAB, String.class) + "/"
                + exchange.getProperty(Props.PAYMENT_ID, String.class);
        switch (journal.begin(key, exchange.getProperty(Props.MESSAGE_ID, String.class))) {
            case NEW -> exchange.setProperty(KEY, key);
            case SAME_MESSAGE -> throw new PaymentFailedException(ErrorCode.OUTCOME_UNKNOWN, "Payment " + key
                    + " was being sent when this very message was processed before, and that processing did not "
                    + "finish (crash or rollback): the bank may have it. Not sent again; reconcile with X-Request-ID "
                    + exchange.getProperty(Props.REQUEST_ID) + ".");
            case OTHER_MESSAGE -> throw new PaymentFailedException(ErrorCode.DUPLICATE_PAYMENT, "Payment " + key
                    + " was already sent by this module (accepted, or its outcome is unknown): not sent again. "
                    + "A new payment needs a new paymentInformationId.");
        }
    }

    /** The bank certainly does not have the payment (or refused it): it may be submitted again. */
    public void forget(Exchange exchange) {
        String key = exchange.getProperty(KEY, String.class);
        if (key != null) {
            journal.forget(key);
            exchange.removeProperty(KEY);
            LOG.debug("Send record: forgot {}", key);
        }
    }
}
