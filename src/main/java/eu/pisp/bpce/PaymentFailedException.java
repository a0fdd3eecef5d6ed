package eu.pisp.bpce;

/**
 * A failure whose outcome code is known where it is raised. The message is the operator-readable reason published in
 * {@code pispErrorReason}: it must never contain a token, a secret or a full IBAN.
 *
 * <p>It deliberately carries no cause: Camel matches {@code onException} clauses against the deepest cause first, and a
 * wrapped {@code ConnectException} from the token endpoint must not be mistaken for one from the payment endpoint.
 */
public class PaymentFailedException extends RuntimeException {

    private final ErrorCode errorCode;

    public PaymentFailedException(ErrorCode errorCode, String reason) {
        super(reason, null, false, false);
        this.errorCode = errorCode;
    }

    public ErrorCode getErrorCode() {
        return errorCode;
    }

    public String getReason() {
        return getMessage();
    }
}
