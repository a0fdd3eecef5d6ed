package eu.pisp.bpce.sim;

import java.math.BigInteger;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Builds valid STET PaymentRequestResource messages, for the demo, tests and benchmarks.
 *
 * <ul>
 *   <li>{@link #json}: an immediate SEPA instant payment (INST, execution date in the past): never cancellable;</li>
 *   <li>{@link #deferredJson}: a SEPA credit transfer executed on D+2: cancellable until then;</li>
 *   <li>{@link #standingOrderJson}: a monthly standing order starting D+2: cancellable;</li>
 *   <li>{@link #rejectedJson}: as {@link #json} but paid to {@value #REJECTED_CREDITOR_NAME}, the creditor that
 *       {@link #isDemoRejection} picks (the demo's bank rejects it, see {@link BankSimulator#demoBehaviour()}).</li>
 * </ul>
 */
public final class SamplePayments {

    /** The creditor name ({@code beneficiary.creditor.name}) of the sample payment the demo's bank rejects. */
    public static final String REJECTED_CREDITOR_NAME = "Demo Rejected Merchant";

    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
    private static final DateTimeFormatter STET_DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

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

    /** A SEPA credit transfer (not instant) to be executed on D+2 (Paris time): a deferred payment, cancellable. */
    public static String deferredJson(String paymentInformationId, String debtorIban) {
        return deferredJson(paymentInformationId, debtorIban, LocalDate.now(PARIS).plusDays(2));
    }

    /** A SEPA credit transfer (not instant) to be executed on this date, at 08:00 Paris time. */
    public static String deferredJson(String paymentInformationId, String debtorIban, LocalDate executionDate) {
        return other(paymentInformationId, debtorIban, "myMerchant",
                "\"requestedExecutionDate\": \"" + at8(executionDate) + "\",", "");
    }

    /** A monthly standing order (SEPA credit transfer) from D+2 for a year: cancellable. */
    public static String standingOrderJson(String paymentInformationId, String debtorIban) {
        LocalDate first = LocalDate.now(PARIS).plusDays(2);
        return other(paymentInformationId, debtorIban, "myMerchant", "",
                "\"requestedExecutionDate\": \"" + at8(first) + "\", \"endDate\": \"" + at8(first.plusYears(1))
                        + "\", \"executionRule\": \"FWNG\", \"frequency\": \"MNTH\",");
    }

    /**
     * An immediate instant payment as {@link #json}, paid to {@value #REJECTED_CREDITOR_NAME}: the one the demo's bank
     * rejects ({@link #isDemoRejection}).
     */
    public static String rejectedJson(String paymentInformationId, String debtorIban) {
        return json(paymentInformationId, debtorIban)
                .replace("\"name\": \"myMerchant\"", "\"name\": \"" + REJECTED_CREDITOR_NAME + "\"");
    }

    /**
     * The demo's rejection rule: true for a payment request whose creditor ({@code beneficiary.creditor.name}, at
     * payment or transaction level) is {@value #REJECTED_CREDITOR_NAME}.
     */
    public static boolean isDemoRejection(JsonNode paymentRequest) {
        if (REJECTED_CREDITOR_NAME.equals(paymentRequest.path("beneficiary").path("creditor").path("name").asText())) {
            return true;
        }
        for (JsonNode tx : paymentRequest.path("creditTransferTransaction")) {
            if (REJECTED_CREDITOR_NAME.equals(tx.path("beneficiary").path("creditor").path("name").asText())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The {@code n}-th sample of a demo run, so that every kind shows up in ten: n = 3, 13, 23... deferred (D+2),
     * n = 5, 15, 25... rejected by the demo's bank ({@link #rejectedJson}), the others immediate ({@link #json}).
     */
    public static String demo(long n, String paymentInformationId, String debtorIban) {
        return switch ((int) (n % 10)) {
            case 3 -> deferredJson(paymentInformationId, debtorIban);
            case 5 -> rejectedJson(paymentInformationId, debtorIban);
            default -> json(paymentInformationId, debtorIban);
        };
    }

    private static String at8(LocalDate date) {
        return STET_DATE_TIME.format(ZonedDateTime.of(date.atTime(8, 0), PARIS));
    }

    private static String other(String paymentInformationId, String debtorIban, String creditor,
                                String paymentLevelDate, String transactionLevelSchedule) {
        return """
                {
                  "paymentInformationId": "%s",
                  "creationDateTime": "%s",
                  "numberOfTransactions": 1,
                  "initiatingParty": {"name": "Demo PISP", "postalAddress": {"country": "FR", "addressLine": ["18 rue de la DSP2", "75008 PARIS"]},
                                       "organisationId": {"identification": "12FR5", "schemeName": "COID", "issuer": "ACPR"}},
                  "paymentTypeInformation": {"serviceLevel": "SEPA", "categoryPurpose": "DVPM"},
                  "debtorAccount": {"iban": "%s"},
                  "beneficiary": {"creditor": {"name": "%s"}, "creditorAccount": {"iban": "FR7630004000031234567890143"}},
                  "chargeBearer": "SLEV",
                  %s
                  "creditTransferTransaction": [{"paymentId": {"instructionId": "%s-1", "endToEndId": "%s-E2E"},
                                                 %s
                                                 "instructedAmount": {"currency": "EUR", "amount": "124.35"},
                                                 "remittanceInformation": ["Order %s"]}],
                  "supplementaryData": {"acceptedAuthenticationApproach": ["REDIRECT"],
                                        "successfulReportUrl": "https://pisp.example/ok", "unsuccessfulReportUrl": "https://pisp.example/ko"}
                }
                """.formatted(paymentInformationId, STET_DATE_TIME.format(ZonedDateTime.now(PARIS)), debtorIban,
                creditor, paymentLevelDate, paymentInformationId, paymentInformationId, transactionLevelSchedule,
                paymentInformationId);
    }
}
