package eu.pisp.bpce.sendrecord;

/** What the send record tells the module's metrics. Called on the payment's thread; must return at once. */
public interface SendRecordEvents {

    SendRecordEvents NONE = new SendRecordEvents() {
    };

    /** A claim was answered: NEW (the send may start), SAME_MESSAGE or OTHER_MESSAGE (refused, nothing sent). */
    default void claimed(String cdetab, SendRecordStore.Claimed claimed) {
    }

    /** The store could not answer a claim (nothing sent; retried, then SEND_RECORD_UNAVAILABLE). */
    default void unavailable(String cdetab) {
    }

    /** A payment whose send started ended OUTCOME_UNKNOWN: it waits for reconciliation. */
    default void outcomeUnknown(String cdetab) {
    }
}
