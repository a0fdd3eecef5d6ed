package eu.pisp.bpce.payment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.sim.SamplePayments;
import org.junit.jupiter.api.Test;

/**
 * The validation of a payment request: only the top level decides, nested values never stand in for top-level
 * fields, and the whole document is checked as JSON. (The queue-level corpus is BadInputTest.)
 */
class PaymentRequestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final PaymentRequests requests = new PaymentRequests(1_000_000, 64);

    @Test
    void aSamplePaymentGivesItsIdAndDebtorIban() {
        PaymentRequestFacts facts = read(SamplePayments.json("P-1", "FR7613807000010000000000042"));
        assertEquals("P-1", facts.paymentInformationId());
        assertEquals("FR7613807000010000000000042", facts.debtorIban());
    }

    @Test
    void aNestedFieldNeverStandsInForATopLevelOne() throws Exception {
        ObjectNode p = sample();
        p.remove("paymentInformationId");
        p.remove("debtorAccount");
        // the same names deeper in the document: not the payment's
        p.withArray("creditTransferTransaction").addObject().put("paymentInformationId", "NESTED")
                .putObject("debtorAccount").put("iban", "FR7630007000010000000000042");
        assertReason(p.toString(), "missing paymentInformationId");
        p.put("paymentInformationId", "TOP");
        PaymentRequestFacts facts = read(p.toString());
        assertEquals("TOP", facts.paymentInformationId());
        assertNull(facts.debtorIban(), "no top-level debtorAccount");
    }

    @Test
    void aNullFieldCountsAsMissingAndProblemsComeInTheirOrder() throws Exception {
        ObjectNode p = sample();
        p.putNull("supplementaryData");
        p.remove("creationDateTime");
        p.put("numberOfTransactions", 0);
        p.putArray("creditTransferTransaction");
        assertReason(p.toString(), "not a valid STET PaymentRequestResource: missing creationDateTime, missing "
                + "supplementaryData, numberOfTransactions must be an integer >= 1, creditTransferTransaction must be "
                + "a non-empty array");
    }

    @Test
    void numberOfTransactionsIsAPositiveInteger() throws Exception {
        ObjectNode p = sample();
        p.put("numberOfTransactions", 1.0);
        assertReason(p.toString(), "numberOfTransactions must be an integer >= 1");
        p.put("numberOfTransactions", -3);
        assertReason(p.toString(), "numberOfTransactions must be an integer >= 1");
        String big = p.toString().replace("\"numberOfTransactions\":-3", "\"numberOfTransactions\":123456789012345678901234");
        assertEquals("P-1", read(big).paymentInformationId(), "a positive integer beyond 64 bits is an integer >= 1");
    }

    @Test
    void theDebtorIbanIsAStringWhenGiven() throws Exception {
        ObjectNode p = sample();
        p.put("debtorAccount", "FR7613807000010000000000042");
        assertReason(p.toString(), "debtorAccount.iban must be a string");
        p.putObject("debtorAccount").put("iban", 42);
        assertReason(p.toString(), "debtorAccount.iban must be a string");
        p.putObject("debtorAccount").putNull("iban");
        assertNull(read(p.toString()).debtorIban());
        p.putObject("debtorAccount").put("currency", "EUR").putObject("other").put("iban", "nested");
        assertNull(read(p.toString()).debtorIban(), "an iban deeper in debtorAccount is not its iban");
    }

    @Test
    void theWholeDocumentIsCheckedAsJsonEvenWhereNoFieldIsRead() throws Exception {
        String valid = sample().toString();
        String dupDeep = valid.replace("\"supplementaryData\":{", "\"supplementaryData\":{\"a\":{\"x\":1,\"x\":2},");
        assertReason(dupDeep, "Duplicate field 'x'");
        assertReason(valid + " {\"second\":1}", "not valid JSON");
        assertReason(valid + " ,", "not valid JSON");
        assertReason(valid.replace("\"supplementaryData\":{", "\"supplementaryData\":{\"a\":[1,}"), "not valid JSON");
        assertReason("[" + valid + ", ]", "not valid JSON");
        assertReason("   ", "not an object (empty)");
        assertReason("[1, 2]", "not an object (ARRAY)");
        assertReason("true", "not an object (BOOLEAN)");
        assertReason("\"text\" 1", "not valid JSON");
        String deep = valid.replace("\"supplementaryData\":{", "\"supplementaryData\":{\"a\":" + "[".repeat(100)
                + "]".repeat(100) + ",");
        assertReason(deep, "nesting depth");
    }

    @Test
    void invalidUtf8InASkippedValueIsRefused() throws Exception {
        byte[] valid = sample().toString().getBytes(StandardCharsets.UTF_8);
        byte[] marker = "\"successfulReportUrl\":\"".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(valid, marker) + marker.length;
        valid[at] = (byte) 0xC3; // a lead byte followed by an ASCII byte
        PaymentFailedException e = assertThrows(PaymentFailedException.class, () -> requests.read(valid));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    private static ObjectNode sample() throws Exception {
        return (ObjectNode) JSON.readTree(SamplePayments.json("P-1", "FR7613807000010000000000042"));
    }

    private PaymentRequestFacts read(String json) {
        return requests.read(json.getBytes(StandardCharsets.UTF_8));
    }

    private void assertReason(String json, String part) {
        PaymentFailedException e = assertThrows(PaymentFailedException.class, () -> read(json));
        assertEquals(ErrorCode.INVALID_PAYMENT_REQUEST, e.getErrorCode());
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    private static int indexOf(byte[] data, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= data.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (data[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
