package eu.pisp.bpce;

/** Names of the exchange properties the routes share (the YAML routes spell the same names). */
public final class Props {
    public static final String ORIGINAL_BODY = "pispOriginalBody";
    public static final String PAYMENT_ID = "pispPaymentInformationId";
    public static final String CDETAB = "pispCdetab";
    public static final String ESTABLISHMENT = "pispEstablishment";
    public static final String REQUEST_ID = "pispRequestId";
    public static final String TOKEN = "pispToken";
    public static final String TOKEN_FRESH = "pispTokenFresh";
    public static final String ATTEMPTS = "pispAttempts";
    public static final String SEND_STARTED = "pispSendStarted";
    public static final String MESSAGE_ID = "pispMessageId";
    public static final String REQUESTED_CDETAB = "pispRequestedCdetab";
    public static final String DEBTOR_IBAN = "pispDebtorIban";
    public static final String BASE_URL = "pispBaseUrl";
    public static final String SIGN_REQUESTS = "pispSignRequests";
    public static final String AUTHORIZATION = "pispAuthorization";
    public static final String TOKEN_SERIAL_SEEN = "pispTokenSerialSeen";
    public static final String TOKEN_REFRESH_DUE = "pispTokenRefreshDue";
    public static final String LOCATION = "pispLocation";
    /** The payment's claim in the send record (a PaymentSend), set by sendRecord.begin. */
    public static final String SEND_CLAIM = "pispSendClaim";
    /** True once this exchange holds the claim: only then may it be released or its outcome noted. */
    public static final String SEND_CLAIMED = "pispSendClaimed";

    /** The operation under way: payment, status, cancellation or confirmation (outcome routing, logs, metrics). */
    public static final String OPERATION = "pispOperation";
    /** The bank's id of the payment request (STET paymentRequestResourceId), for status, cancel and confirmation. */
    public static final String RESOURCE_ID = "pispPaymentRequestResourceId";
    /** The resource id the bank gave a payment request just accepted (for the send record's note). */
    public static final String ACCEPTED_RESOURCE_ID = "pispAcceptedResourceId";
    /** HTTP method and path (below the establishment's base URL) of the bank call direct:call-bank makes. */
    public static final String BANK_METHOD = "pispBankMethod";
    public static final String BANK_PATH = "pispBankPath";

    private Props() {
    }
}
