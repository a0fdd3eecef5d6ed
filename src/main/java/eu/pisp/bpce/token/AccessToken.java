package eu.pisp.bpce.token;

import java.time.Instant;

/**
 * An access token held for one establishment. {@link #toString()} never shows the token itself, so an accidental log
 * statement or exception text cannot leak it.
 *
 * @param serial    increases with every token this process obtains: a token whose serial is above the one seen
 *                  before a lookup was fetched for that very lookup
 */
public record AccessToken(String value, String cdetab, long serial, Instant obtainedAt, Instant refreshAt,
                          Instant expiresAt) {

    /** The value of the Authorization header. */
    public String getAuthorization() {
        return "Bearer " + value;
    }


    /** True once the token should be renewed in the background (refresh-ahead), still usable meanwhile. */
    public boolean isRefreshDue() {
        return !Instant.now().isBefore(refreshAt);
    }

    @Override
    public String toString() {
        return "AccessToken[cdetab=" + cdetab + ", serial=" + serial + ", obtainedAt=" + obtainedAt
                + ", expiresAt=" + expiresAt + ", value=****]";
    }
}
