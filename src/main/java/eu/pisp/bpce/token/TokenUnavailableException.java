package eu.pisp.bpce.token;

import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;

/**
 * No token could be obtained. Retryable when the token endpoint was unreachable, timed out or answered 429/5xx; not
 * when it refused the TPP (4xx) or answered something that is not a token. Nothing was sent to the payment endpoint.
 */
public final class TokenUnavailableException extends PaymentFailedException {

    private final boolean retryable;

    public TokenUnavailableException(String reason, boolean retryable) {
        super(ErrorCode.TOKEN_UNAVAILABLE, reason);
        this.retryable = retryable;
    }

    public boolean isRetryable() {
        return retryable;
    }
}
