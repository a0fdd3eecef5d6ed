package eu.pisp.bpce.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import eu.pisp.bpce.support.TestPki;
import org.apache.camel.component.http.HttpComponent;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tomitribe.auth.signatures.Signature;
import org.tomitribe.auth.signatures.Verifier;

/**
 * The module as it runs against a real bank: HTTPS with the QWAC client certificate to the token and payment
 * endpoints, payment requests signed with the QSealC key, the bank checking both.
 */
class MutualTlsAndSignatureTest {

    private static final TestPki PKI = TestPki.shared();
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** A test's change to the request after it was signed (a man in the middle), or null. */
    private static volatile Consumer<ClassicHttpRequest> afterSigning;

    @RegisterExtension
    static final PispModule module = new PispModule()
            .bank(() -> BankSimulator.startHttps(0, PKI.bankTls(), true)
                    .verifySignatures(PKI.qsealc.cert().getPublicKey(), TestPki.QSEALC_KEY_ID)
                    .exemptFromSignatures(Set.of("17515")))
            .with("pisp.establishments.file", registry())
            .with("pisp.tls.keystore.path", PKI.qwacKeystore.toString())
            .with("pisp.tls.keystore.password", PKI.qwacPassword)
            .with("pisp.tls.keystore.alias", TestPki.QWAC_ALIAS)
            .with("pisp.tls.truststore.path", PKI.truststore.toString())
            .with("pisp.tls.truststore.password", PKI.truststorePassword)
            .with("pisp.signature.enabled", "true")
            .with("pisp.signature.keystore.path", PKI.qsealcKeystore.toString())
            .with("pisp.signature.keystore.password", PKI.qsealcPassword)
            .with("pisp.signature.keystore.alias", TestPki.QSEALC_ALIAS)
            .with("pisp.signature.key-id", TestPki.QSEALC_KEY_ID);

    @BeforeAll
    static void interceptRequestsAfterSigning() {
        // Runs inside the HTTP client, after the route signed the request and before it is written.
        module.context().getComponent("https", HttpComponent.class).setHttpClientConfigurer(builder ->
                builder.addRequestInterceptorFirst((request, entity, context) -> {
                    Consumer<ClassicHttpRequest> change = afterSigning;
                    if (change != null && request.getPath().endsWith("/payment-requests")) {
                        change.accept((ClassicHttpRequest) request);
                    }
                }));
    }

    @AfterEach
    void noMoreTampering() {
        afterSigning = null;
    }

    @Test
    void signedPaymentIsAcceptedOverMutualTls() throws Exception {
        String body = SamplePayments.json("TLS-SIGNED-1", SamplePayments.iban("13807", 1))
                .replace("Order ", "Commande café ");
        module.send(body, Map.of());

        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> reasons(outcomes.failed()));
        assertEquals(1, module.bank().clientCertificateSubjects().size());
        assertTrue(module.bank().clientCertificateSubjects().iterator().next().contains("CN=Test PISP QWAC"),
                () -> "the QWAC was presented: " + module.bank().clientCertificateSubjects());
        assertEquals(1, module.bank().signaturesAccepted());
        assertEquals(1, module.bank().tokenRequests("13807"), "the token call went through mutual TLS too");
        BankSimulator.Received sent = payments("TLS-SIGNED-1").get(0);
        assertArrayEquals(body.getBytes(StandardCharsets.UTF_8), sent.body().getBytes(StandardCharsets.UTF_8));
        assertTrue(sent.header("Date").matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"),
                sent.header("Date"));
        assertEquals(StetRequestSigner.digest(sent.body().getBytes(StandardCharsets.UTF_8)), sent.header("Digest"));
        assertTrue(sent.header("Signature").matches("keyId=\"" + TestPki.QSEALC_KEY_ID.replace(".", "\\.")
                + "\",algorithm=\"rsa-sha256\",headers=\"\\(request-target\\) date digest x-request-id\","
                + "signature=\"[A-Za-z0-9+/]+=*\""), sent.header("Signature"));

        // What went over the wire also verifies with an independent draft-cavage implementation.
        Map<String, String> headers = new HashMap<>();
        for (String h : List.of("Date", "Digest", "X-Request-ID")) {
            headers.put(h, sent.header(h));
        }
        assertTrue(new Verifier(PKI.qsealc.cert().getPublicKey(), Signature.fromString(sent.header("Signature")))
                .verify("POST", sent.path(), headers));
    }

    @Test
    void bothHttpComponentsCarryTheTlsParametersAndKeepTheirPoolSettings() {
        for (String scheme : List.of("http", "https")) {
            HttpComponent c = module.context().getComponent(scheme, HttpComponent.class);
            assertEquals(TestPki.QWAC_ALIAS, c.getSslContextParameters().getCertAlias(), scheme);
            assertEquals(64, c.getConnectionsPerRoute(), scheme + " keeps camel.component." + scheme + ".* settings");
            assertEquals(512, c.getMaxTotalConnections(), scheme);
            assertTrue(c.getHeaderFilterStrategy() instanceof BankHttpHeaderFilter, scheme);
        }
    }

    @Test
    void bodyChangedAfterSigningIsRejected() throws Exception {
        afterSigning = request -> request.setEntity(new ByteArrayEntity(bytes(request).replace("124.35", "999.99")
                .getBytes(StandardCharsets.UTF_8), ContentType.APPLICATION_JSON));
        String body = SamplePayments.json("TLS-TAMPERED-BODY", SamplePayments.iban("13807", 2));
        module.send(body, Map.of());

        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.failed().size());
        Outcome failed = outcomes.failed().get(0);
        assertEquals("REJECTED_BY_BANK", failed.header("pispErrorCode"));
        assertTrue(failed.header("pispErrorReason").contains("HTTP 400: Digest invalide"), failed.header("pispErrorReason"));
        assertEquals(body, failed.body(), "the failed outcome carries the message as received");
        assertTrue(payments("TLS-TAMPERED-BODY").get(0).body().contains("999.99"), "the bank saw the changed body");
        assertEquals(0, module.bank().processedPaymentCount(), "nothing was processed");
        assertEquals(0, module.bank().signaturesAccepted());
    }

    @Test
    void bodyAndDigestChangedAfterSigningAreRejected() throws Exception {
        afterSigning = request -> {
            byte[] changed = bytes(request).replace("124.35", "999.99").getBytes(StandardCharsets.UTF_8);
            request.setEntity(new ByteArrayEntity(changed, ContentType.APPLICATION_JSON));
            request.setHeader("Digest", StetRequestSigner.digest(changed));
        };
        module.send(SamplePayments.json("TLS-TAMPERED-DIGEST", SamplePayments.iban("13807", 3)), Map.of());

        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.failed().size());
        Outcome failed = outcomes.failed().get(0);
        assertEquals("REJECTED_BY_BANK", failed.header("pispErrorCode"));
        assertTrue(failed.header("pispErrorReason").contains("HTTP 401: Signature invalide"),
                failed.header("pispErrorReason"));
        assertEquals(0, module.bank().processedPaymentCount());
    }

    @Test
    void resendAfterTokenRefusalIsSignedAgainWithANewDate() throws Exception {
        module.send(SamplePayments.json("TLS-WARM", SamplePayments.iban("13807", 4)), Map.of());
        assertEquals(1, module.awaitOutcomes(1, WAIT).accepted().size());
        module.bank().revokeAllTokens();
        // The refusal comes more than a second after the first signature: the resend's Date must differ.
        module.bank().paymentLatency(1_100);

        module.send(SamplePayments.json("TLS-RESENT", SamplePayments.iban("13807", 5)), Map.of());
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> reasons(outcomes.failed()));
        assertEquals("2", outcomes.accepted().get(0).header("pispAttempts"));
        List<BankSimulator.Received> sends = payments("TLS-RESENT");
        assertEquals(2, sends.size());
        BankSimulator.Received first = sends.get(0);
        BankSimulator.Received resend = sends.get(1);
        assertNotEquals(first.header("Authorization"), resend.header("Authorization"), "new token");
        assertEquals(first.header("X-Request-ID"), resend.header("X-Request-ID"));
        assertEquals(first.header("Digest"), resend.header("Digest"));
        assertNotEquals(first.header("Date"), resend.header("Date"), "Date recomputed");
        assertNotEquals(first.header("Signature"), resend.header("Signature"), "signature recomputed");
        // The warm-up, the refused first send (signature fine, token not) and the resend: all verified.
        assertEquals(3, module.bank().signaturesAccepted());
        assertEquals(0, module.bank().signaturesRefused());
    }

    @Test
    void establishmentWithSignRequestsFalseIsNotSigned() throws Exception {
        module.send(SamplePayments.json("TLS-SANDBOX", SamplePayments.iban("17515", 6)), Map.of());

        PispModule.Outcomes outcomes = module.awaitOutcomes(1, WAIT);

        assertEquals(1, outcomes.accepted().size(), () -> reasons(outcomes.failed()));
        BankSimulator.Received sent = payments("TLS-SANDBOX").get(0);
        assertNull(sent.header("Signature"));
        assertNull(sent.header("Digest"));
        assertEquals(0, module.bank().signaturesAccepted());
        assertTrue(module.bank().clientCertificateSubjects().iterator().next().contains("CN=Test PISP QWAC"),
                "mutual TLS still applies");
    }

    private static String bytes(ClassicHttpRequest request) {
        try {
            return EntityUtils.toString(request.getEntity(), StandardCharsets.UTF_8);
        } catch (IOException | org.apache.hc.core5.http.ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<BankSimulator.Received> payments(String paymentInformationId) {
        return module.bank().received().stream()
                .filter(r -> r.path().endsWith("/payment-requests") && r.body().contains(paymentInformationId))
                .collect(Collectors.toList());
    }

    private static String reasons(List<Outcome> failed) {
        return failed.stream().map(o -> o.header("pispErrorCode") + ": " + o.header("pispErrorReason"))
                .collect(Collectors.joining("; "));
    }

    /** 13807 signs (pisp.signature.enabled), 17515 is a sandbox that does not check signatures. */
    private static String registry() {
        try {
            Path file = Files.createTempFile("pisp-establishments", ".yaml");
            file.toFile().deleteOnExit();
            Files.writeString(file, """
                    establishments:
                      - cdetab: "13807"
                        name: Banque Populaire Grand Ouest
                      - cdetab: "17515"
                        name: Caisse d'Epargne Ile-de-France (sandbox)
                        signRequests: false
                    """);
            return file.toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
