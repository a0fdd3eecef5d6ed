package eu.pisp.bpce.sendrecord;

/**
 * One attempt of this module to send one payment: what a claim is made of.
 *
 * @param cdetab               the establishment (a registered code)
 * @param paymentInformationId the STET paymentInformationId: with cdetab, the payment's key
 * @param messageId            the queued message's JMSMessageID, the same on every delivery of it (or an
 *                             {@code in-process:} id for a direct call)
 * @param requestId            the X-Request-ID the bank is sent, for reconciliation
 * @param claimId              random, one per exchange: tells this claim from an earlier delivery of the same message
 *                             (a claim whose commit was answered too late is recognised as ours on retry)
 */
public record PaymentSend(String cdetab, String paymentInformationId, String messageId, String requestId,
                          String claimId) {

    /** {@code cdetab/paymentInformationId}. */
    public String key() {
        return cdetab + "/" + paymentInformationId;
    }
}
