package eu.pisp.bpce.token;

/**
 * What the token cache tells the module's metrics and health (never the token itself). Every method is called on the
 * thread that did the work and must return at once.
 */
public interface TokenEvents {

    /** Why a token was renewed before the bank's expiry. */
    enum RefreshReason {
        /** The bank answered 403/401 to a payment with it: dropped, a new one is fetched. */
        REFUSED_BY_BANK,
        /** Past pisp.token.refresh-ahead-ratio of its life: renewed in the background while still in use. */
        AHEAD_OF_EXPIRY
    }

    /** The result of one token request. */
    enum Result {
        OBTAINED,
        /** The endpoint could not answer now (unreachable, timeout, 429, 5xx): retried. */
        UNAVAILABLE,
        /** The endpoint refused us or gave no usable token (4xx, no access_token, not Bearer): not retried. */
        REFUSED
    }

    TokenEvents NONE = new TokenEvents() {
    };

    default void requested(String cdetab, Result result) {
    }

    default void refreshed(String cdetab, RefreshReason reason) {
    }
}
