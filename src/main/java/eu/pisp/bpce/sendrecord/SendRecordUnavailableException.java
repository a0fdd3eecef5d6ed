package eu.pisp.bpce.sendrecord;

/**
 * The send record could not say whether a payment may be sent (database down, slow, pool exhausted, disk full).
 * Nothing is sent: the routes retry with back-off, then fail the payment as SEND_RECORD_UNAVAILABLE (safe to
 * resubmit as is). The message never carries credentials or the database URL's password.
 */
public final class SendRecordUnavailableException extends RuntimeException {

    /**
     * No cause is chained on purpose: Camel matches {@code onException} clauses against the innermost cause first,
     * and a database's {@code ConnectException} would then read as "bank unreachable". The message says what failed.
     */
    public SendRecordUnavailableException(String message) {
        super(message);
    }
}
