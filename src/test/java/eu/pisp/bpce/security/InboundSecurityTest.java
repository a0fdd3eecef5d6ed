package eu.pisp.bpce.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import jakarta.jms.Connection;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What comes in with a payment request must not steer it: no inbound header changes where the request goes, how,
 * or with which credentials, and only registry establishments are ever called. Each case is sent both as another ESB
 * component would (a raw JMS message with string properties) and in-process through {@code direct:initiate-payment}
 * (Camel headers as they are, no JMS filtering in between).
 */
class InboundSecurityTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PAYMENT_PATH = "/13807/stet/psd2/v1/payment-requests";

    @RegisterExtension
    static final PispModule module = new PispModule();

    /** Where a hostile header would like the request to go: a second server on 127.0.0.1. */
    private static BankSimulator attacker;
    private static Connection jms;
    private static Session session;
    private static MessageProducer toIntake;
    private static int sequence;

    @BeforeAll
    static void start() throws Exception {
        attacker = BankSimulator.start(0);
        jms = module.jmsFactory().createConnection();
        session = jms.createSession(false, Session.AUTO_ACKNOWLEDGE);
        toIntake = session.createProducer(session.createQueue("pisp.payment-requests"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (jms != null) {
            jms.close();
        }
        if (attacker != null) {
            attacker.stop();
        }
    }

    @BeforeEach
    void resetAttacker() {
        attacker.reset();
    }

    static Stream<Arguments> hostileHeaders() {
        String evil = "http://127.0.0.1:" + attacker.port() + "/13807/stet/psd2/v1/payment-requests";
        List<String[]> headers = List.of(
                new String[] {"CamelHttpUri", evil},
                new String[] {"camelhttpuri", evil},
                new String[] {"CAMELHTTPURI", evil},
                new String[] {"CamelHttpUri", "https://evil.example/steal"},
                new String[] {"CamelHttpPath", "/../17515/stet/psd2/v1/payment-requests"},
                new String[] {"CAMELHTTPPATH", "/evil"},
                new String[] {"camelhttppath", "/evil"},
                new String[] {"CamelHttpQuery", "redirect=http://evil.example&x=1"},
                new String[] {"camelhttpquery", "x=1"},
                new String[] {"CamelHttpRawQuery", "x=1%26y%3D2"},
                new String[] {"CAMELHTTPRAWQUERY", "x=1"},
                new String[] {"CamelHttpMethod", "GET"},
                new String[] {"camelhttpmethod", "DELETE"},
                new String[] {"CamelHttpUrl", evil},
                new String[] {"Authorization", "Bearer stolen-token"},
                new String[] {"authorization", "Basic c3RvbGVuOnN0b2xlbg=="},
                new String[] {"X-Request-ID", "chosen-by-sender"},
                new String[] {"x-request-id", "chosen-by-sender"},
                new String[] {"Host", "evil.example"},
                new String[] {"Signature", "keyId=\"https://evil.example/cert\",algorithm=\"rsa-sha256\",signature=\"x\""},
                new String[] {"Digest", "SHA-256=forged"});
        return headers.stream().flatMap(h -> Stream.of(Arguments.of(h[0], h[1], "jms"),
                Arguments.of(h[0], h[1], "direct")));
    }

    @ParameterizedTest(name = "{0}: {1} ({2})")
    @MethodSource("hostileHeaders")
    void inboundHeadersDoNotChangeTargetMethodOrCredentials(String name, String value, String transport)
            throws Exception {
        String id = "HDR-" + (++sequence);
        String body = SamplePayments.json(id, SamplePayments.iban("13807", sequence));

        Outcome outcome = send(transport, body, name, value);

        assertEquals("ACCEPTED", outcome.header("pispOutcome"), () -> outcome.header("pispErrorReason"));
        List<BankSimulator.Received> payments = module.bank().received().stream()
                .filter(r -> r.body().contains(id)).collect(Collectors.toList());
        assertEquals(1, payments.size());
        BankSimulator.Received sent = payments.get(0);
        assertEquals("POST", sent.method());
        assertEquals(PAYMENT_PATH, sent.path());
        assertNull(sent.query());
        assertTrue(sent.header("Authorization").startsWith("Bearer sim-13807-"), sent.header("Authorization"));
        assertEquals(outcome.header("pispRequestId"), sent.header("X-Request-ID"));
        assertTrue(sent.header("Host").startsWith("127.0.0.1:"), sent.header("Host"));
        for (BankSimulator.Received r : module.bank().received()) {
            assertFalse(r.headers().values().stream().flatMap(List::stream).anyMatch(v -> v.contains(value)),
                    () -> "the bank received the injected value in " + r.headers());
            assertTrue(r.path().startsWith("/13807/stet/psd2/"), r.path());
        }
        assertEquals(1, module.bank().totalTokenRequests(), "one token request...");
        assertEquals(1, module.bank().tokenRequests("13807"), "...to 13807");
        assertEquals(0, attacker.receivedCount(), "nothing went to the attacker's server");
    }

    static Stream<Arguments> hostileCdetabs() {
        List<String> values = List.of("13807.evil.example#", "../13807", "13807/", "13807%2F", "1380", " 13807",
                "13807 ", "13807@127.0.0.1", "１３８０７", "013807", "13807\r\nHost: evil.example", "",
                "127.0.0.1:" + attacker.port(), "13807?x=", "30004");
        return values.stream().flatMap(v -> Stream.of(Arguments.of(v, "jms"), Arguments.of(v, "direct")));
    }

    @ParameterizedTest(name = "cdetab \"{0}\" ({1})")
    @MethodSource("hostileCdetabs")
    void onlyRegistryEstablishmentsAreEverCalled(String cdetab, String transport) throws Exception {
        String id = "SSRF-" + (++sequence);
        String body = SamplePayments.json(id, SamplePayments.iban("13807", sequence));

        Outcome outcome = send(transport, body, "cdetab", cdetab);

        assertEquals("FAILED", outcome.header("pispOutcome"));
        assertEquals("UNKNOWN_ESTABLISHMENT", outcome.header("pispErrorCode"));
        assertEquals(body, outcome.body(), "the failed outcome carries the message unchanged");
        String reason = outcome.header("pispErrorReason");
        assertFalse(reason.contains("\r") || reason.contains("\n"), "control characters are escaped: " + reason);
        assertEquals(0, module.bank().receivedCount(), "the bank simulator received nothing");
        assertEquals(0, attacker.receivedCount());
    }

    static Stream<Arguments> hostileIbans() {
        return Stream.of(
                "FR76１３８０７000010000000000100",   // unicode digits in the bank code
                "FR7630004000031234567890143",       // a French bank outside the registry
                "FR76 13807@evil.example 0000000",
                "GB82WEST12345698765432",
                "").map(Arguments::of);
    }

    @ParameterizedTest(name = "debtor IBAN \"{0}\"")
    @MethodSource("hostileIbans")
    void establishmentDerivedFromTheIbanIsARegistryOneOrNone(String iban) throws Exception {
        String body = SamplePayments.json("SSRF-IBAN-" + (++sequence), iban);

        Outcome outcome = send("direct", body, null, null);

        assertEquals("UNKNOWN_ESTABLISHMENT", outcome.header("pispErrorCode"), outcome.header("pispErrorReason"));
        assertEquals(body, outcome.body());
        assertEquals(0, module.bank().receivedCount());
    }

    /** Sends the body with one extra header, over JMS or in-process, and returns its outcome. */
    private static Outcome send(String transport, String body, String name, String value) throws Exception {
        if (transport.equals("direct")) {
            Exchange answer = module.producer().request("direct:initiate-payment", e -> {
                e.getMessage().setBody(body);
                if (name != null) {
                    e.getMessage().setHeader(name, value);
                }
            });
            Map<String, Object> headers = new java.util.HashMap<>();
            answer.getMessage().getHeaders().forEach((k, v) -> headers.put(k, v));
            String text = answer.getMessage().getBody(String.class);
            return new Outcome(text == null ? null : text.getBytes(java.nio.charset.StandardCharsets.UTF_8), true,
                    headers, null, System.nanoTime());
        }
        TextMessage m = session.createTextMessage(body);
        if (name != null) {
            // JMS property names are Java identifiers: camel-jms reads X_HYPHEN_Request_HYPHEN_ID as X-Request-ID.
            m.setStringProperty(name.replace("-", "_HYPHEN_"), value);
        }
        toIntake.send(m);
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);
        assertEquals(1, outcomes.total(), "one outcome");
        return outcomes.accepted().isEmpty() ? outcomes.failed().get(0) : outcomes.accepted().get(0);
    }
}
