package eu.pisp.bpce.sim;

import java.math.BigInteger;

/** Builds valid STET PaymentRequestResource messages, for the demo, tests and benchmarks. */
public final class SamplePayments {

    private SamplePayments() {
    }

    /** A French IBAN (valid check digits) held at the given establishment. */
    public static String iban(String cdetab, long n) {
        String bban = cdetab + "00001" + String.format("%011d", n % 100_000_000_000L) + "00";
        // ISO 13616 check digits: move "FR00" to the end, letters to numbers (F=15, R=27), 98 - mod 97.
        BigInteger number = new BigInteger(bban + "152700");
        int check = 98 - number.mod(BigInteger.valueOf(97)).intValue();
        return String.format("FR%02d%s", check, bban);
    }

    /** A payment request as BPCE expects it: one transaction in EUR, SEPA, SLEV, with creditor and report URL. */
    public static String json(String paymentInformationId, String debtorIban) {
        return """
                {
                  "paymentInformationId": "%s",
                  "creationDateTime": "2026-11-25T10:15:30.000+01:00",
                  "numberOfTransactions": 1,
                  "initiatingParty": {"name": "Demo PISP", "postalAddress": {"country": "FR", "addressLine": ["18 rue de la DSP2", "75008 PARIS"]},
                                       "organisationId": {"identification": "12FR5", "schemeName": "COID", "issuer": "ACPR"}},
                  "paymentTypeInformation": {"serviceLevel": "SEPA", "localInstrument": "INST", "categoryPurpose": "DVPM"},
                  "debtorAccount": {"iban": "%s"},
                  "beneficiary": {"creditor": {"name": "myMerchant"}, "creditorAccount": {"iban": "FR7630004000031234567890143"}},
                  "chargeBearer": "SLEV",
                  "requestedExecutionDate": "2026-11-26T08:00:00.000+01:00",
                  "creditTransferTransaction": [{"paymentId": {"instructionId": "%s-1", "endToEndId": "%s-E2E"},
                                                 "instructedAmount": {"currency": "EUR", "amount": "124.35"},
                                                 "remittanceInformation": ["Order %s"]}],
                  "supplementaryData": {"acceptedAuthenticationApproach": ["REDIRECT"],
                                        "successfulReportUrl": "https://pisp.example/ok", "unsuccessfulReportUrl": "https://pisp.example/ko"}
                }
                """.formatted(paymentInformationId, debtorIban, paymentInformationId, paymentInformationId,
                paymentInformationId);
    }
}
