package eu.pisp.bpce.token;

import java.time.Duration;

/**
 * How long a token is used, from its {@code expires_in}.
 *
 * @param expiryMargin   {@code pisp.token.expiry-margin-seconds}: stop using a token this long before the bank's expiry,
 *                       clamped to half the token's life so that a short {@code expires_in} does not mean one token
 *                       request per message
 * @param defaultTtl     {@code pisp.token.default-ttl-seconds}: the life of a token whose answer has no expires_in
 * @param refreshAhead   {@code pisp.token.refresh-ahead-ratio}: share of the usable life after which the token is
 *                       renewed in the background (1.0 turns refresh-ahead off)
 */
public record TokenPolicy(Duration expiryMargin, Duration defaultTtl, double refreshAhead) {

    /** The usable life of a token and when to start renewing it, both counted from when it was obtained. */
    public record Lifetime(Duration expiresAfter, Duration refreshAfter) {
    }

    public TokenPolicy {
        if (refreshAhead <= 0 || refreshAhead > 1) {
            throw new IllegalArgumentException("pisp.token.refresh-ahead-ratio must be in (0, 1], got " + refreshAhead);
        }
    }

    public Lifetime lifetime(Long expiresInSeconds) {
        Duration ttl;
        if (expiresInSeconds == null) {
            ttl = defaultTtl;
        } else {
            ttl = Duration.ofSeconds(Math.max(1, expiresInSeconds));
        }
        Duration margin = expiryMargin.compareTo(ttl.dividedBy(2)) > 0 ? ttl.dividedBy(2) : expiryMargin;
        Duration usable = ttl.minus(margin);
        if (usable.compareTo(Duration.ofMillis(500)) < 0) {
            usable = Duration.ofMillis(500);
        }
        Duration refresh = Duration.ofMillis((long) (usable.toMillis() * refreshAhead));
        return new Lifetime(usable, refresh);
    }
}
