package eu.pisp.bpce.stet;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What differs between the STET versions a BPCE establishment may serve (pisp.stet.version), kept in one place: the
 * base path, the status codes, which are final, how a cancellation is written and whether the confirmation call
 * exists. The routes read these through the {@code stetVersion} bean and never branch on a version themselves.
 */
public enum StetVersion {

    /** The specification committed in shared/reference (1.4.0.47): cancellation is RJCT with reason DS02. */
    V1_4_0("1.4.0", "/stet/psd2/v1", "RJCT", Set.of("DS02"), false, Set.of()),
    /** From 1.4.2 a cancellation sets CANC (reasons DS02, DUPL, FRAD, TECH). */
    V1_4_2("1.4.2", "/stet/psd2/v1.4.2", "CANC", Set.of("DS02", "DUPL", "FRAD", "TECH"), false, Set.of("CANC")),
    /** 1.6.2 adds ACCO, and BPCE's "reinforced" POST .../confirmation (nonce, psuAuthenticationFactor). */
    V1_6_2("1.6.2", "/stet/psd2/v1.6.2", "CANC", Set.of("DS02", "DUPL", "FRAD", "TECH"), true,
            Set.of("CANC", "ACCO"));

    /** Statuses after which nothing more happens to the payment (PART only once every transaction is final). */
    private static final Set<String> FINAL = Set.of("ACSC", "ACWP", "RJCT", "CANC");
    /** transactionStatus values that are final. */
    private static final Set<String> FINAL_TRANSACTION = Set.of("ACSC", "RJCT", "CANC");

    /** paymentInformationStatus values of 1.4.0 (swagger PaymentInformationStatusCode). */
    public static final class Base {
        public static final Set<String> STATUSES =
                Set.of("ACCP", "ACSC", "ACSP", "ACTC", "ACWC", "ACWP", "PART", "RCVD", "PDNG", "RJCT");

        private Base() {
        }
    }

    private final String version;
    private final String basePath;
    private final String cancelStatus;
    private final Set<String> cancelReasons;
    private final boolean confirmation;
    private final Set<String> statuses;

    StetVersion(String version, String basePath, String cancelStatus, Set<String> cancelReasons, boolean confirmation,
                Set<String> addedStatuses) {
        this.version = version;
        this.basePath = basePath;
        this.cancelStatus = cancelStatus;
        this.cancelReasons = cancelReasons;
        this.confirmation = confirmation;
        this.statuses = java.util.stream.Stream.concat(Base.STATUSES.stream(), addedStatuses.stream())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** The version named by pisp.stet.version, or a message listing the supported ones. */
    public static StetVersion of(String version) {
        String v = version == null ? "" : version.strip();
        return Arrays.stream(values()).filter(s -> s.version.equals(v)).findFirst()
                .orElseThrow(() -> new IllegalStateException("pisp.stet.version must be one of "
                        + Arrays.stream(values()).map(StetVersion::version).toList() + ", not '" + v + "'"));
    }

    public String version() {
        return version;
    }

    /** Base path of the PSD2 API, e.g. /stet/psd2/v1. */
    public String basePath() {
        return basePath;
    }

    /** The payment-requests collection: POST a new one, GET or PUT one by id below it. */
    public String paymentRequestsPath() {
        return basePath + "/payment-requests";
    }

    /** paymentInformationStatus written by a cancellation (RJCT on 1.4.0, CANC from 1.4.2). */
    public String cancelStatus() {
        return cancelStatus;
    }

    public Set<String> cancelReasons() {
        return cancelReasons;
    }

    /** True where POST .../confirmation exists (1.6.2). */
    public boolean hasConfirmation() {
        return confirmation;
    }

    public boolean isKnownStatus(String status) {
        return statuses.contains(status);
    }

    public Set<String> statuses() {
        return statuses;
    }

    /**
     * A final status: nothing more will happen (ACSC, ACWP, RJCT, CANC), or PART once every transaction is final.
     */
    public boolean isFinal(String status, List<String> transactionStatuses) {
        if (FINAL.contains(status)) {
            return true;
        }
        return "PART".equals(status) && !transactionStatuses.isEmpty()
                && transactionStatuses.stream().allMatch(FINAL_TRANSACTION::contains);
    }
}
