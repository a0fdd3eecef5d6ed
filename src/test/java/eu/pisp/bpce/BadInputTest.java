package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-message corpus (src/test/resources/bad-input) and hostile establishment codes: each gets a clear failed
 * outcome with its body preserved byte for byte, nothing reaches the bank, and the routes keep running.
 */
class BadInputTest {

    @RegisterExtension
    static final PispModule module = new PispModule();

    private static final Path CORPUS = Path.of("src/test/resources/bad-input");
    private static final Duration WAIT = Duration.ofSeconds(30);

    static Stream<Arguments> corpus() throws Exception {
        return Stream.of(
                Arguments.of("empty body", new byte[0], true, "INVALID_PAYMENT_REQUEST", "empty"),
                Arguments.of("binary", file("binary.bin"), false, "INVALID_PAYMENT_REQUEST", "not valid JSON"),
                Arguments.of("not JSON", file("not-json.txt"), true, "INVALID_PAYMENT_REQUEST", "not valid JSON"),
                Arguments.of("invalid UTF-8", file("invalid-utf8.json"), false, "INVALID_PAYMENT_REQUEST", "not valid JSON"),
                Arguments.of("JSON array", file("json-array.json"), true, "INVALID_PAYMENT_REQUEST", "not an object (ARRAY)"),
                Arguments.of("JSON string", file("json-string.json"), true, "INVALID_PAYMENT_REQUEST", "not an object"),
                Arguments.of("JSON null", file("json-null.json"), true, "INVALID_PAYMENT_REQUEST", "not an object"),
                Arguments.of("deeply nested", deeplyNested(100_000), true, "INVALID_PAYMENT_REQUEST", "nesting depth"),
                Arguments.of("10 MB", tenMegabytes(), true, "INVALID_PAYMENT_REQUEST", "more than pisp.max-message-bytes"),
                Arguments.of("wrong types", file("wrong-types.json"), true, "INVALID_PAYMENT_REQUEST",
                        "numberOfTransactions must be an integer >= 1"),
                Arguments.of("missing fields", file("missing-fields.json"), true, "INVALID_PAYMENT_REQUEST",
                        "missing creationDateTime, missing numberOfTransactions"),
                Arguments.of("duplicate keys", file("duplicate-keys.json"), true, "INVALID_PAYMENT_REQUEST", "Duplicate field"),
                Arguments.of("trailing garbage", file("trailing-garbage.json"), true, "INVALID_PAYMENT_REQUEST", "not valid JSON"),
                Arguments.of("non-French IBAN", file("non-french-iban.json"), true, "UNKNOWN_ESTABLISHMENT",
                        "is not a French IBAN"),
                Arguments.of("no establishment", file("no-establishment.json"), true, "UNKNOWN_ESTABLISHMENT",
                        "no cdetab header and no debtorAccount.iban"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void badMessageEndsFailedWithItsBodyAndNothingIsSent(String name, byte[] body, boolean asText, String code,
                                                         String reasonPart) throws Exception {
        module.send(asText ? new String(body, StandardCharsets.UTF_8) : body, Map.of());

        Outcome failed = awaitFailed();

        assertEquals(code, failed.header("pispErrorCode"), failed.header("pispErrorReason"));
        assertTrue(failed.header("pispErrorReason").contains(reasonPart), failed.header("pispErrorReason"));
        assertArrayEquals(body, failed.bytes(), "body preserved byte for byte");
        assertEquals(asText, failed.text(), "a text message stays text, bytes stay bytes");
        assertEquals(0, module.bank().receivedCount(), "nothing sent to the bank");
    }

    @ParameterizedTest(name = "cdetab \"{0}\"")
    @MethodSource("hostileEstablishments")
    void hostileEstablishmentCodeIsRefusedWithoutAnyRequest(String cdetab) throws Exception {
        String body = SamplePayments.json("HOSTILE", SamplePayments.iban("13807", 1));
        Map<String, Object> headers = new HashMap<>();
        headers.put("cdetab", cdetab);
        module.send(body, headers);

        Outcome failed = awaitFailed();

        assertEquals("UNKNOWN_ESTABLISHMENT", failed.header("pispErrorCode"), failed.header("pispErrorReason"));
        assertEquals(body, failed.body());
        assertEquals(0, module.bank().receivedCount(), "nothing sent anywhere");
    }

    static Stream<String> hostileEstablishments() {
        return Stream.of("99999", "1380", "138070", " 13807", "13807 ", "abcde", "ABCDE", "13807.evil.example#",
                "13807/", "13807#", "13807@127.0.0.1", "..", "../13807", "%2F13807", "13807%2F", "１３８０７",
                "13807\u200b", "13807\n", "");
    }

    @Test
    void unicodeTextInAValidPaymentReachesTheBankByteForByte() throws Exception {
        String body = SamplePayments.json("UNICODE-é-€", SamplePayments.iban("13807", 1))
                .replace("Order ", "Commande n° 42 – café ☕ 🙂 ");
        module.send(body, Map.of());

        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> PaymentFlowTest.reasons(outcomes.failed()));
        String received = module.bank().received().stream().filter(r -> r.path().endsWith("/payment-requests"))
                .findFirst().orElseThrow().body();
        assertEquals(body, received);
    }

    /** After every bad message, a good one still goes through: the routes keep running. */
    @AfterEach
    void routesStillWork() throws Exception {
        module.bank().reset();
        module.send(SamplePayments.json("STILL-WORKS-" + System.nanoTime(), SamplePayments.iban("17515", 2)), Map.of());
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);
        assertEquals(1, outcomes.accepted().size(), () -> PaymentFlowTest.reasons(outcomes.failed()));
    }

    private static Outcome awaitFailed() throws Exception {
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);
        assertEquals(1, outcomes.failed().size(), () -> "expected one failed outcome, got " + outcomes);
        return outcomes.failed().get(0);
    }

    private static byte[] file(String name) throws Exception {
        return Files.readAllBytes(CORPUS.resolve(name));
    }

    private static byte[] deeplyNested(int depth) {
        StringBuilder sb = new StringBuilder(depth * 6);
        sb.append("{\"paymentInformationId\":\"DEEP\",\"x\":");
        sb.append("{\"a\":".repeat(depth)).append("1").append("}".repeat(depth)).append('}');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] tenMegabytes() {
        String valid = SamplePayments.json("HUGE", SamplePayments.iban("13807", 1));
        String padding = "x".repeat(10 * 1024 * 1024);
        return valid.replace("\"Order ", "\"" + padding).getBytes(StandardCharsets.UTF_8);
    }
}
