package eu.pisp.bpce.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;

import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import eu.pisp.bpce.support.TestPki;
import eu.pisp.bpce.token.AccessToken;
import org.junit.jupiter.api.Test;

/**
 * Every way mutual TLS can fail ends as a failed outcome whose reason names TLS and what to check, and the bank
 * receives nothing. Each test boots the module with its own TLS configuration.
 */
class TlsRefusalTest {

    private static final TestPki PKI = TestPki.shared();
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** A TLS 1.2 bank that does not trust our client certificate's CA refuses it during the handshake. */
    @Test
    void wrongClientCertificateIsRefused() throws Exception {
        PispModule module = new PispModule()
                .bank(() -> BankSimulator.startHttps(0, PKI.bankTls(), true, "TLSv1.2"))
                .with("pisp.tls.keystore.path", PKI.rogueQwacKeystore.toString())
                .with("pisp.tls.keystore.password", PKI.roguePassword)
                .with("pisp.tls.truststore.path", PKI.truststore.toString())
                .with("pisp.tls.truststore.password", PKI.truststorePassword);
        try (PispModule m = module.start()) {
            Outcome token = failedOutcome(m, "TLS-ROGUE");
            assertEquals("TOKEN_UNAVAILABLE", token.header("pispErrorCode"));
            assertClientCertificateRefused(token.header("pispErrorReason"));
            assertEquals(0, m.bank().receivedCount(), "no HTTP request reached the bank");
        }
    }

    /**
     * A TLS 1.3 bank refuses a missing client certificate after the client's side of the handshake is over: the
     * client sees the alert, a connection broken inside TLS, or (the alert lost) a connection closed without an
     * answer. Nothing reaches the bank in any case; the reason names TLS in the first two.
     */
    @Test
    void noClientCertificateIsRefused() throws Exception {
        PispModule module = new PispModule()
                .bank(() -> BankSimulator.startHttps(0, PKI.bankTls(), true, "TLSv1.3"))
                .with("pisp.tls.truststore.path", PKI.truststore.toString())
                .with("pisp.tls.truststore.password", PKI.truststorePassword);
        try (PispModule m = module.start()) {
            Outcome token = failedOutcome(m, "TLS-NO-CERT");
            assertEquals("TOKEN_UNAVAILABLE", token.header("pispErrorCode"));
            String reason = token.header("pispErrorReason");
            if (!reason.contains("NoHttpResponseException")) {
                assertClientCertificateRefused(reason);
            }
            assertEquals(0, m.bank().receivedCount());
        }
    }

    @Test
    void bankCertificateNotInTheTruststoreIsRefused() throws Exception {
        PispModule module = withOurQwac(new PispModule()
                .bank(() -> BankSimulator.startHttps(0, PKI.bankTls(PKI.bankServerUnknownCa, PKI.tppCa.cert()), true)));
        try (PispModule m = module.start()) {
            Outcome token = failedOutcome(m, "TLS-UNTRUSTED-BANK-1");
            assertEquals("TOKEN_UNAVAILABLE", token.header("pispErrorCode"));
            assertTrue(token.header("pispErrorReason").startsWith("TLS handshake with the token endpoint of "
                    + "establishment 13807 failed: its server certificate is not trusted (pisp.tls.truststore)"),
                    token.header("pispErrorReason"));

            // With a token already held, the payment call is the first to meet the bank: refused before sending.
            holdToken(m);
            Outcome payment = failedOutcome(m, "TLS-UNTRUSTED-BANK-2");
            assertEquals("BANK_UNAVAILABLE", payment.header("pispErrorCode"));
            assertTrue(payment.header("pispErrorReason").startsWith("TLS handshake with the payment endpoint of "
                    + "establishment 13807 (Banque Populaire Grand Ouest) failed: its server certificate is not "
                    + "trusted"), payment.header("pispErrorReason"));
            assertEquals(0, m.bank().receivedCount(), "neither our certificate nor a request went to it");
        }
    }

    @Test
    void bankCertificateForAnotherHostIsRefused() throws Exception {
        PispModule module = withOurQwac(new PispModule()
                .bank(() -> BankSimulator.startHttps(0, PKI.bankTls(PKI.bankServerOtherHost, PKI.tppCa.cert()), true)));
        try (PispModule m = module.start()) {
            Outcome token = failedOutcome(m, "TLS-WRONG-HOST-1");
            assertEquals("TOKEN_UNAVAILABLE", token.header("pispErrorCode"));
            assertTrue(token.header("pispErrorReason").contains("its server certificate does not match its host name"),
                    token.header("pispErrorReason"));

            holdToken(m);
            Outcome payment = failedOutcome(m, "TLS-WRONG-HOST-2");
            assertEquals("BANK_UNAVAILABLE", payment.header("pispErrorCode"));
            assertTrue(payment.header("pispErrorReason").startsWith("TLS handshake with the payment endpoint"),
                    payment.header("pispErrorReason"));
            assertEquals(0, m.bank().receivedCount(), "host name verification is on");
        }
    }

    /**
     * The bank's refusal arrives as a TLS alert, as a connection closed during the handshake (the alert lost: seen on a
     * busy machine), or (TLS 1.3, request already on its way) as a reset connection: whichever, the reason names TLS
     * and sends the operator to our client certificate.
     */
    private static void assertClientCertificateRefused(String reason) {
        boolean alert = reason.startsWith("TLS handshake with the token endpoint of establishment 13807 failed: the "
                + "bank refused our client certificate (QWAC, pisp.tls.keystore)");
        boolean closed = (reason.startsWith("TLS handshake with the token endpoint of establishment 13807 failed: ")
                || reason.startsWith("The token endpoint of establishment 13807 broke the TLS connection"))
                && (reason.contains("check that the bank accepts our client certificate (QWAC, pisp.tls.keystore)")
                || reason.contains("check our client certificate (QWAC, pisp.tls.keystore)"));
        assertTrue(alert || closed, reason);
    }

    private static void holdToken(PispModule m) {
        Instant now = Instant.now();
        m.tokens().cache().put("13807", new AccessToken("sim-held-before", "13807", 0, now,
                now.plus(Duration.ofHours(1)), now.plus(Duration.ofHours(1))));
    }

    private static PispModule withOurQwac(PispModule module) {
        return module
                .with("pisp.tls.keystore.path", PKI.qwacKeystore.toString())
                .with("pisp.tls.keystore.password", PKI.qwacPassword)
                .with("pisp.tls.keystore.alias", TestPki.QWAC_ALIAS)
                .with("pisp.tls.truststore.path", PKI.truststore.toString())
                .with("pisp.tls.truststore.password", PKI.truststorePassword);
    }

    private static Outcome failedOutcome(PispModule m, String paymentInformationId) throws Exception {
        String body = SamplePayments.json(paymentInformationId, SamplePayments.iban("13807", 1));
        m.send(body, Map.of());
        PispModule.Outcomes outcomes = m.awaitOutcomes(1, WAIT);
        assertEquals(1, outcomes.failed().size(), () -> "expected a failure, got " + outcomes.accepted().stream()
                .map(Outcome::body).collect(Collectors.joining()));
        Outcome failed = outcomes.failed().get(0);
        assertEquals(body, failed.body(), "the failed outcome carries the message as received");
        return failed;
    }
}
