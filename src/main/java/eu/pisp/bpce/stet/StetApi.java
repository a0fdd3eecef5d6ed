package eu.pisp.bpce.stet;

import java.util.List;

/**
 * The STET API this module speaks to the establishments (bean {@code stetVersion}): the version's rules, and the
 * payment-requests path, which pisp.aspsp.payment-path may override (empty: the version's own).
 */
public final class StetApi {

    private final StetVersion version;
    private final String paymentRequestsPath;

    public StetApi(StetVersion version, String paymentRequestsPathOverride) {
        this.version = version;
        this.paymentRequestsPath = paymentRequestsPathOverride == null || paymentRequestsPathOverride.isBlank()
                ? version.paymentRequestsPath() : paymentRequestsPathOverride.strip();
    }

    public String version() {
        return version.version();
    }

    /**
     * POST a new payment request here; GET or PUT one at {@code <path>/<paymentRequestResourceId>}. The routes read it
     * as the placeholder {@code pisp.stet.payment-requests-path}, set from this at start. No
     * {@code getPaymentRequestsPath()} twin: with both, Camel's bean language found a call to either ambiguous in some
     * JVM starts (reflection's method order varies), and that instance failed every payment with INTERNAL_ERROR.
     */
    public String paymentRequestsPath() {
        return paymentRequestsPath;
    }

    public String cancelStatus() {
        return version.cancelStatus();
    }

    public boolean hasConfirmation() {
        return version.hasConfirmation();
    }

    public boolean isKnownStatus(String status) {
        return version.isKnownStatus(status);
    }

    public boolean isFinal(String status, List<String> transactionStatuses) {
        return version.isFinal(status, transactionStatuses);
    }
}
