package eu.pisp.bpce.sim;

import java.util.Set;

/**
 * The STET versions the simulator serves, each under its own base path behind {@code /<cdetab>}, with what differs
 * between them as a bank shows it (public BPCE sources; verify with BPCE before production).
 */
public enum StetApiVersion {

    /** STET 1.4.0 (1.4.0.47, the committed specification): cancellation = RJCT + DS02, no confirmation (405). */
    V1_4_0("1.4.0", "v1", "RJCT", Set.of("DS02"), false),
    /** STET 1.4.2: cancellation = CANC; only a customer-token "o-confirmation", so {@code /confirmation} is 405. */
    V1_4_2("1.4.2", "v1.4.2", "CANC", Set.of("DS02", "DUPL", "FRAD", "TECH"), false),
    /** STET 1.6.2: cancellation = CANC; "reinforced" confirmation with {@code nonce} + {@code psuAuthenticationFactor}. */
    V1_6_2("1.6.2", "v1.6.2", "CANC", Set.of("DS02", "DUPL", "FRAD", "TECH"), true);

    private final String version;
    private final String pathSegment;
    private final String cancelledStatus;
    private final Set<String> cancellationReasons;
    private final boolean confirmation;

    StetApiVersion(String version, String pathSegment, String cancelledStatus, Set<String> cancellationReasons,
                   boolean confirmation) {
        this.version = version;
        this.pathSegment = pathSegment;
        this.cancelledStatus = cancelledStatus;
        this.cancellationReasons = cancellationReasons;
        this.confirmation = confirmation;
    }

    /** "1.4.0", "1.4.2" or "1.6.2". */
    public String version() {
        return version;
    }

    /** "v1", "v1.4.2" or "v1.6.2". */
    public String pathSegment() {
        return pathSegment;
    }

    /** {@code /stet/psd2/v1}, ... (after the {@code /<cdetab>} prefix). */
    public String basePath() {
        return "/stet/psd2/" + pathSegment;
    }

    /** The {@code paymentInformationStatus} a cancellation (PUT) carries and a cancelled request ends with. */
    public String cancelledStatus() {
        return cancelledStatus;
    }

    /** The {@code statusReasonInformation} values a cancellation may carry. */
    public Set<String> cancellationReasons() {
        return cancellationReasons;
    }

    /** Whether {@code POST .../confirmation} exists with a client-credentials token. */
    public boolean hasConfirmation() {
        return confirmation;
    }

    /** The version served under this path segment ("v1", "v1.4.2", "v1.6.2"), or null. */
    public static StetApiVersion ofPathSegment(String segment) {
        for (StetApiVersion v : values()) {
            if (v.pathSegment.equals(segment)) {
                return v;
            }
        }
        return null;
    }

    /** The version "1.4.0", "1.4.2" or "1.6.2" (a leading "v" or the path segment is accepted too), or null. */
    public static StetApiVersion of(String version) {
        if (version == null) {
            return null;
        }
        for (StetApiVersion v : values()) {
            if (v.version.equals(version) || v.pathSegment.equals(version) || ("v" + v.version).equals(version)) {
                return v;
            }
        }
        return null;
    }
}
