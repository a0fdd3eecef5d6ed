package eu.pisp.bpce.payment;

/**
 * What the routes need to know of a validated payment request.
 *
 * @param paymentInformationId the STET paymentInformationId (the business key of the payment)
 * @param debtorIban           debtorAccount.iban, or null when the request has none
 */
public record PaymentRequestFacts(String paymentInformationId, String debtorIban) {


}
