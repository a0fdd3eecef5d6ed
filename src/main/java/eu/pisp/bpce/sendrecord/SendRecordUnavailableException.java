package eu.pisp.bpce.sendrecord;

/**
 * The send record could not say whether a payment may be sent (database down, slow, pool exhausted, disk full).
 * Nothing is sent: the routes retry with back-off, then fail the payment as SEND_RECORD_UNAVAILABLE (safe to
 * resubmit as is). The message never carries credentials or the database URL's password.
 */
public final class SendRecordUnavailableException extends RuntimeException {

    public SendRecordUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
