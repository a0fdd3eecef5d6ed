package eu.pisp.bpce.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import eu.pisp.bpce.support.PispModule.Outcome;
import eu.pisp.bpce.support.StderrCapture;
import eu.pisp.bpce.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Nothing secret in logs or outcome headers: no access token, no keystore password, no full IBAN. The module runs with
 * mutual TLS and signing, its passwords read from secret files outside the repository ({@code pisp.secrets-dir}: one
 * file per key), and goes through acceptance, a token refresh and
 * several failures while everything written to System.err (where the module logs, through Logback) is captured.
 */
class LogLeakTest {

    private static final TestPki PKI = TestPki.shared();
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Installed before the module starts, so startup logs are captured too. */
    private static final StderrCapture LOGS = StderrCapture.start();
    private static final String CREDITOR_IBAN = "FR7630004000031234567890143";
    private static final Pattern TOKEN = Pattern.compile("sim-\\d{5}-\\d+-[0-9a-f-]{36}");
    private static final Pattern FULL_IBAN = Pattern.compile("FR\\d{2} ?(?:\\d{4} ?){5}[0-9A-Z]{3}");

    @RegisterExtension
    static final PispModule module = new PispModule()
            .bank(() -> BankSimulator.startHttps(0, PKI.bankTls(), true)
                    .verifySignatures(PKI.qsealc.cert().getPublicKey(), TestPki.QSEALC_KEY_ID))
            .with("pisp.secrets-dir", secretFiles().toString())
            .with("pisp.tls.keystore.path", PKI.qwacKeystore.toString())
            .with("pisp.tls.keystore.alias", TestPki.QWAC_ALIAS)
            .with("pisp.tls.truststore.path", PKI.truststore.toString())
            .with("pisp.signature.enabled", "true")
            .with("pisp.signature.keystore.path", PKI.qsealcKeystore.toString())
            .with("pisp.signature.key-id", TestPki.QSEALC_KEY_ID);

    @AfterAll
    static void stopCapture() {
        LOGS.stop();
    }

    @Test
    void noTokenPasswordOrFullIbanInLogsOrOutcomeHeaders() throws Exception {
        List<Outcome> outcomes = new ArrayList<>();
        List<String> ibans = new ArrayList<>(List.of(CREDITOR_IBAN));

        // Accepted, then accepted after a refused token was replaced.
        outcomes.addAll(accepted("LEAK-OK-1", 1, ibans));
        module.bank().revokeAllTokens();
        outcomes.addAll(accepted("LEAK-OK-2", 2, ibans));
        // The bank refuses, echoing an IBAN in its message.
        module.bank().failPayments("13807", 1, BankSimulator.Fault.status(400,
                "Compte crediteur " + CREDITOR_IBAN + " refuse"));
        outcomes.addAll(failed("LEAK-REJECTED", SamplePayments.json("LEAK-REJECTED", iban(3, ibans)), "REJECTED_BY_BANK"));
        // Malformed JSON whose offending token is an IBAN (the parser echoes it).
        String malformed = "{\"paymentInformationId\":\"LEAK-BAD\",\"debtorAccount\":{\"iban\":" + iban(4, ibans) + "}}";
        outcomes.addAll(failed("LEAK-BAD", malformed, "INVALID_PAYMENT_REQUEST"));
        // A debtor IBAN that names no registry establishment.
        String foreign = "FR7612345000010000000000100";
        ibans.add(foreign);
        outcomes.addAll(failed("LEAK-UNKNOWN", SamplePayments.json("LEAK-UNKNOWN", foreign), "UNKNOWN_ESTABLISHMENT"));
        // The token endpoint keeps failing (beyond the token retries).
        module.tokens().invalidateAll();
        module.bank().failTokenRequests("13807", 10, BankSimulator.Fault.status(500, "Erreur interne"));
        outcomes.addAll(failed("LEAK-NO-TOKEN", SamplePayments.json("LEAK-NO-TOKEN", iban(5, ibans)), "TOKEN_UNAVAILABLE"));

        String logs = LOGS.text();
        assertTrue(logs.contains("Mutual TLS to banks on") && logs.contains("STET request signature on"),
                "the capture saw the startup: " + logs.length() + " chars");
        assertTrue(logs.contains("accepted by establishment 13807") && logs.contains("resending with"),
                "the capture saw the payments");
        // LEAK-OK-1, both sends of LEAK-OK-2 (token refused, then resent), LEAK-REJECTED: all signed and verified.
        assertEquals(4, module.bank().signaturesAccepted());
        assertEquals(0, module.bank().signaturesRefused());

        for (String secret : List.of(PKI.qwacPassword, PKI.truststorePassword, PKI.qsealcPassword)) {
            assertFalse(logs.contains(secret), "a keystore password is in the logs");
        }
        assertNoMatch(TOKEN, logs, "an access token is in the logs");
        assertFalse(logs.contains("Bearer sim-"), "an Authorization header is in the logs");
        for (String iban : ibans) {
            assertFalse(logs.contains(iban), "a full IBAN is in the logs: " + iban);
        }
        assertNoMatch(FULL_IBAN, logs, "a full IBAN is in the logs");
        assertTrue(logs.contains("*0143"), "IBANs show their last 4 characters");

        for (Outcome o : outcomes) {
            String headers = o.headers().toString();
            assertNoMatch(TOKEN, headers, "an access token is in outcome headers");
            assertNoMatch(FULL_IBAN, headers, "a full IBAN is in outcome headers");
            for (String secret : List.of(PKI.qwacPassword, PKI.truststorePassword, PKI.qsealcPassword)) {
                assertFalse(headers.contains(secret));
            }
            if ("ACCEPTED".equals(o.header("pispOutcome"))) {
                assertNoMatch(FULL_IBAN, o.body(), "accepted outcome bodies carry no IBAN");
                assertNoMatch(TOKEN, o.body(), "accepted outcome bodies carry no token");
            }
        }
    }

    private static List<Outcome> accepted(String id, long n, List<String> ibans) throws Exception {
        module.send(SamplePayments.json(id, iban(n, ibans)), Map.of());
        PispModule.Outcomes o = module.awaitOutcomes(1, WAIT);
        assertEquals(1, o.accepted().size(), () -> o.failed().isEmpty() ? "none" : o.failed().get(0).headers().toString());
        return o.accepted();
    }

    private static List<Outcome> failed(String id, String body, String code) throws Exception {
        module.send(body, Map.of());
        PispModule.Outcomes o = module.awaitOutcomes(1, WAIT);
        assertEquals(1, o.failed().size(), id);
        assertEquals(code, o.failed().get(0).header("pispErrorCode"), o.failed().get(0).header("pispErrorReason"));
        return o.failed();
    }

    private static String iban(long n, List<String> ibans) {
        String iban = SamplePayments.iban("13807", n);
        ibans.add(iban);
        return iban;
    }

    private static void assertNoMatch(Pattern p, String text, String message) {
        Matcher m = p.matcher(text == null ? "" : text);
        if (m.find()) {
            int from = Math.max(0, m.start() - 120);
            throw new AssertionError(message + ": ..." + text.substring(from, Math.min(text.length(), m.end() + 40)));
        }
    }

    /** The passwords as secret files, one per property key, each ending with a line break as editors leave it. */
    private static Path secretFiles() {
        try {
            Path dir = Files.createTempDirectory("pisp-secrets");
            Files.writeString(dir.resolve("pisp.tls.keystore.password"), PKI.qwacPassword + "\n");
            Files.writeString(dir.resolve("pisp.tls.truststore.password"), PKI.truststorePassword + "\n");
            Files.writeString(dir.resolve("pisp.signature.keystore.password"), PKI.qsealcPassword + "\n");
            try (var files = Files.list(dir)) {
                files.forEach(f -> f.toFile().deleteOnExit());
            }
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
