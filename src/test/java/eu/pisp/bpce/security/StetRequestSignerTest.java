package eu.pisp.bpce.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.Headers;
import eu.pisp.bpce.Props;
import eu.pisp.bpce.establishment.Establishment;
import eu.pisp.bpce.sim.SignatureCheck;
import eu.pisp.bpce.support.TestPki;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tomitribe.auth.signatures.Signature;
import org.tomitribe.auth.signatures.Verifier;

/** The STET HTTP signature, checked against the draft-cavage example and an independent implementation. */
class StetRequestSignerTest {

    private static final TestPki PKI = TestPki.shared();
    private static final String PAYMENT_PATH = "/stet/psd2/v1/payment-requests";
    private static final Instant NOW = Instant.parse("2026-11-25T10:15:30Z");
    private static final Pattern SIGNATURE = Pattern.compile(
            "keyId=\"([^\"]+)\",algorithm=\"rsa-sha256\",headers=\"\\(request-target\\) date digest x-request-id\","
                    + "signature=\"([A-Za-z0-9+/]+=*)\"");

    private static DefaultCamelContext camel;
    private static KeyMaterial qsealc;
    private static StetRequestSigner signer;

    @BeforeAll
    static void setUp() {
        camel = new DefaultCamelContext();
        qsealc = KeyMaterial.load("pisp.signature.keystore", PKI.qsealcKeystore, PKI.qsealcPassword.toCharArray(),
                TestPki.QSEALC_ALIAS);
        signer = new StetRequestSigner(qsealc.privateKey(), TestPki.QSEALC_KEY_ID, PAYMENT_PATH,
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterAll
    static void tearDown() throws Exception {
        camel.close();
    }

    @Test
    void digestIsTheBase64Sha256OfTheBody() {
        // The example of draft-cavage-http-signatures (section 2.1.3 / appendix C).
        assertEquals("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
                StetRequestSigner.digest("{\"hello\": \"world\"}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void requestTargetIsTheLowerCaseMethodAndThePathAsSent() {
        assertEquals("post /stet/psd2/v1/payment-requests",
                StetRequestSigner.requestTarget("POST", "https://www.13807.live.api.89c3.com/stet/psd2/v1/payment-requests"));
        assertEquals("post /13807/stet/psd2/v1/payment-requests",
                StetRequestSigner.requestTarget("POST", "https://127.0.0.1:8443/13807/stet/psd2/v1/payment-requests"));
        assertEquals("post /foo?param=value&pet=dog",
                StetRequestSigner.requestTarget("POST", "https://example.com/foo?param=value&pet=dog"));
    }

    @Test
    void signsDateDigestRequestTargetAndRequestIdInTheStetFormat() throws Exception {
        String body = "{\"paymentInformationId\":\"SIGN-1\",\"remittance\":\"Commande café n°1\"}";
        Exchange ex = exchange("https://www.13807.live.api.89c3.com", body, "3f1f4c5e-1b3a-4d0e-9c51-0c6a3f0e2a11");

        signer.sign(ex);

        byte[] sent = ex.getMessage().getBody(byte[].class);
        assertArrayEquals(body.getBytes(StandardCharsets.UTF_8), sent, "the body is sent as the UTF-8 bytes signed");
        assertTrue(ex.getMessage().getBody() instanceof byte[]);
        assertEquals("Wed, 25 Nov 2026 10:15:30 GMT", ex.getMessage().getHeader("Date"));
        assertEquals(StetRequestSigner.digest(sent), ex.getMessage().getHeader("Digest"));
        String header = ex.getMessage().getHeader("Signature", String.class);
        Matcher m = SIGNATURE.matcher(header);
        assertTrue(m.matches(), header);
        assertEquals(TestPki.QSEALC_KEY_ID, m.group(1));

        // Our own reading of the signing string verifies with the QSealC certificate's public key...
        java.security.Signature rsa = java.security.Signature.getInstance("SHA256withRSA");
        rsa.initVerify(PKI.qsealc.cert().getPublicKey());
        rsa.update(("(request-target): post /stet/psd2/v1/payment-requests\n"
                + "date: Wed, 25 Nov 2026 10:15:30 GMT\n"
                + "digest: " + StetRequestSigner.digest(sent) + "\n"
                + "x-request-id: 3f1f4c5e-1b3a-4d0e-9c51-0c6a3f0e2a11").getBytes(StandardCharsets.UTF_8));
        assertTrue(rsa.verify(java.util.Base64.getDecoder().decode(m.group(2))));

        // ...and so does an independent draft-cavage implementation (Tomitribe http-signatures).
        Signature parsed = Signature.fromString(header);
        assertEquals(List.of("(request-target)", "date", "digest", "x-request-id"), parsed.getHeaders());
        Map<String, String> headers = new HashMap<>();
        headers.put("Date", ex.getMessage().getHeader("Date", String.class));
        headers.put("Digest", ex.getMessage().getHeader("Digest", String.class));
        headers.put("X-Request-ID", "3f1f4c5e-1b3a-4d0e-9c51-0c6a3f0e2a11");
        assertTrue(new Verifier(PKI.qsealc.cert().getPublicKey(), parsed)
                .verify("POST", "/stet/psd2/v1/payment-requests", headers));
        headers.put("X-Request-ID", "another-id");
        assertFalse(new Verifier(PKI.qsealc.cert().getPublicKey(), parsed)
                .verify("POST", "/stet/psd2/v1/payment-requests", headers));
    }

    @Test
    void theSimulatorsCheckAcceptsTheSignatureAndRefusesAChangedBody() throws Exception {
        byte[] body = "{\"paymentInformationId\":\"SIGN-2\"}".getBytes(StandardCharsets.UTF_8);
        StetRequestSigner now = new StetRequestSigner(qsealc.privateKey(), TestPki.QSEALC_KEY_ID, PAYMENT_PATH,
                Clock.systemUTC());
        Exchange ex = exchange("http://127.0.0.1:1/13807", body, "rid-2");
        now.sign(ex);
        Headers h = new Headers();
        for (String name : List.of("Date", "Digest", "Signature", "X-Request-ID")) {
            h.add(name, ex.getMessage().getHeader(name, String.class));
        }
        SignatureCheck check = new SignatureCheck(PKI.qsealc.cert().getPublicKey(), TestPki.QSEALC_KEY_ID,
                java.time.Duration.ofMinutes(5));
        String target = "/13807" + PAYMENT_PATH;

        assertNull(check.check("POST", target, h, body));
        byte[] changed = "{\"paymentInformationId\":\"SIGN-3\"}".getBytes(StandardCharsets.UTF_8);
        SignatureCheck.Failure digest = check.check("POST", target, h, changed);
        assertEquals(400, digest.status());
        h.set("Digest", StetRequestSigner.digest(changed));
        SignatureCheck.Failure signature = check.check("POST", target, h, changed);
        assertEquals(401, signature.status());
        assertEquals("Signature invalide", signature.message());
        SignatureCheck otherKey = new SignatureCheck(PKI.qwac.cert().getPublicKey(), null,
                java.time.Duration.ofMinutes(5));
        h.set("Digest", StetRequestSigner.digest(body));
        assertEquals(401, otherKey.check("POST", target, h, body).status(), "signed by another key");
        assertEquals(401, check.check("POST", "/17515" + PAYMENT_PATH, h, body).status(), "another target");
    }

    @Test
    void aResignRecomputesDateAndSignature() throws Exception {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        Exchange first = exchange("https://bank.example", body, "rid");
        Exchange second = exchange("https://bank.example", body, "rid");
        new StetRequestSigner(qsealc.privateKey(), TestPki.QSEALC_KEY_ID, PAYMENT_PATH,
                Clock.fixed(NOW, ZoneOffset.UTC)).sign(first);
        new StetRequestSigner(qsealc.privateKey(), TestPki.QSEALC_KEY_ID, PAYMENT_PATH,
                Clock.fixed(NOW.plusSeconds(1), ZoneOffset.UTC)).sign(second);
        assertFalse(first.getMessage().getHeader("Date").equals(second.getMessage().getHeader("Date")));
        assertFalse(first.getMessage().getHeader("Signature").equals(second.getMessage().getHeader("Signature")));
        assertEquals(first.getMessage().getHeader("Digest"), second.getMessage().getHeader("Digest"));
    }

    @Test
    void misconfigurationIsRefusedWithReadableErrorsThatNeverShowThePassword() {
        IllegalStateException noKeyId = assertThrows(IllegalStateException.class,
                () -> new StetRequestSigner(qsealc.privateKey(), " ", PAYMENT_PATH, Clock.systemUTC()));
        assertTrue(noKeyId.getMessage().contains("pisp.signature.key-id"));
        assertThrows(IllegalStateException.class,
                () -> new StetRequestSigner(qsealc.privateKey(), "qsealc-1", PAYMENT_PATH, Clock.systemUTC()));
        assertThrows(IllegalStateException.class, () -> new StetRequestSigner(qsealc.privateKey(),
                "https://pisp.example/x\",headers=\"date", PAYMENT_PATH, Clock.systemUTC()));

        String wrong = "not-" + PKI.qsealcPassword;
        IllegalStateException badPassword = assertThrows(IllegalStateException.class,
                () -> KeyMaterial.load("pisp.signature.keystore", PKI.qsealcKeystore, wrong.toCharArray(), "qsealc"));
        assertTrue(badPassword.getMessage().contains("wrong pisp.signature.keystore.password"), badPassword.getMessage());
        assertFalse(badPassword.getMessage().contains(wrong));

        IllegalStateException badAlias = assertThrows(IllegalStateException.class, () -> KeyMaterial.load(
                "pisp.signature.keystore", PKI.qsealcKeystore, PKI.qsealcPassword.toCharArray(), "nope"));
        assertTrue(badAlias.getMessage().contains("[qsealc]"), badAlias.getMessage());
        assertFalse(badAlias.getMessage().contains(PKI.qsealcPassword));

        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> KeyMaterial.load(
                "pisp.signature.keystore", Path.of("no/such/file.p12"), "x".toCharArray(), null));
        assertTrue(missing.getMessage().startsWith("pisp.signature.keystore.path: no file at"));

        IllegalStateException empty = assertThrows(IllegalStateException.class, () -> KeyMaterial.load(
                "pisp.signature.keystore", PKI.qsealcKeystore, new char[0], null));
        assertTrue(empty.getMessage().contains("pisp.signature.keystore.password is empty"));

        // A single key entry needs no alias.
        assertEquals("qsealc", KeyMaterial.load("pisp.signature.keystore", PKI.qsealcKeystore,
                PKI.qsealcPassword.toCharArray(), "").alias());
        assertFalse(qsealc.toString().contains("PRIVATE"));
        assertFalse(signer.toString().contains("Key"));
    }

    @Test
    void theDisabledSignerRefusesToSend() {
        StetRequestSigner disabled = StetRequestSigner.disabled();
        assertFalse(disabled.isEnabled());
        Exchange ex = exchange("https://bank.example", "{}".getBytes(StandardCharsets.UTF_8), "rid");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> disabled.sign(ex));
        assertTrue(e.getMessage().contains("pisp.signature.keystore"));
        assertNull(ex.getMessage().getHeader("Signature"));
        assertNotNull(ex.getMessage().getBody());
    }

    private static Exchange exchange(String baseUrl, Object body, String requestId) {
        Exchange ex = new DefaultExchange(camel);
        ex.setProperty(Props.ESTABLISHMENT, new Establishment("13807", "Test", null, "PSDFR-ACPR-12345", baseUrl, true));
        ex.getMessage().setHeader("X-Request-ID", requestId);
        ex.getMessage().setHeader("Authorization", "Bearer sim-secret");
        ex.getMessage().setBody(body);
        return ex;
    }
}
