package eu.pisp.bpce;

/**
 * The values of the {@code pispErrorCode} header on a failed outcome. The names are a contract with the systems that
 * read the failed queue: add new ones freely, never rename one.
 */
public enum ErrorCode {
    /** Not JSON, too large, or required STET fields missing. Nothing was sent. */
    INVALID_PAYMENT_REQUEST,
    /** No establishment could be worked out, or it is not in the registry. Nothing was sent. */
    UNKNOWN_ESTABLISHMENT,
    /** No access token could be obtained from the establishment. Nothing was sent. */
    TOKEN_UNAVAILABLE,
    /** The bank answered and refused the request (4xx, or 403 with a freshly obtained token). */
    REJECTED_BY_BANK,
    /** The bank could not be reached, or said it did not process the request (429, 503). Safe to submit again. */
    BANK_UNAVAILABLE,
    /** The request may have reached the bank but no answer was seen. Reconcile before submitting again. */
    OUTCOME_UNKNOWN,
    /** A payment with the same establishment and paymentInformationId was already sent by this module. */
    DUPLICATE_PAYMENT,
    /**
     * The send record (the guard against paying twice) could not be reached, after bounded retries. Nothing was sent:
     * safe to submit again as is.
     */
    SEND_RECORD_UNAVAILABLE,
    /** The bank does not know this paymentRequestResourceId (404 on a status read, a cancellation, a confirmation). */
    PAYMENT_REQUEST_NOT_FOUND,
    /**
     * The payment cannot be cancelled: immediate or instant (BPCE cancels only deferred transfers and standing orders).
     * Nothing was sent.
     */
    PAYMENT_NOT_CANCELLABLE,
    /** The payment already has a final status (executed, rejected or cancelled): nothing left to cancel. */
    PAYMENT_ALREADY_FINAL,
    /** The configured STET version (pisp.stet.version) has no confirmation call. Nothing was sent. */
    CONFIRMATION_NOT_SUPPORTED,
    /** Tracking gave up: no final status within pisp.tracking.deadline-minutes. Read the status later, or reconcile. */
    TRACKING_EXPIRED,
    /** An unexpected error before anything was sent to the bank (a defect: see the logs). */
    INTERNAL_ERROR
}
