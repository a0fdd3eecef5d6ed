package eu.pisp.bpce.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import eu.pisp.bpce.establishment.Masking;
import org.junit.jupiter.api.Test;

/** What log: steps and echoed reasons may show of IBANs, tokens and passwords. */
class LogMaskTest {

    private final LogMask mask = new LogMask();

    @Test
    void ibansKeepOnlyTheirLastFourCharacters() {
        assertEquals("debtor ***********************0143, creditor ***********************5678.",
                Masking.ibansIn("debtor FR7630004000031234567890143, creditor FR7613807000010000000005678."));
        String printed = Masking.ibansIn("IBAN FR76 3000 4000 0312 3456 7890 143 refused");
        assertFalse(printed.contains("3000 4000"), printed);
        assertTrue(printed.endsWith("0143 refused"), printed);
        assertEquals("******************3000", Masking.ibansIn("DE89370400440532013000"));
    }

    @Test
    void untrustedEchoesInReasonsMaskIbansToo() {
        // Jackson echoes the offending token of a malformed body: that could be an IBAN.
        String reason = Masking.printable("Unrecognized token 'FR7630004000031234567890143': was expecting");
        assertFalse(reason.contains("FR7630004000031234567890143"), reason);
        assertTrue(reason.contains("0143"), reason);
    }

    @Test
    void tokensAndPasswordsAreHidden() {
        String line = mask.format("Authorization: Bearer sim-13807-1-abc.def and {\"access_token\":\"sim-xyz\"} "
                + "password=hunter2 ok");
        assertFalse(line.contains("sim-13807-1-abc.def"), line);
        assertFalse(line.contains("sim-xyz"), line);
        assertFalse(line.contains("hunter2"), line);
        assertTrue(line.contains("Bearer ****"), line);
    }

    @Test
    void ordinaryTextIsUnchanged() {
        String line = "Payment MANY-13807-1 accepted by establishment 13807 (Banque Populaire Grand Ouest) "
                + "(attempts=1, X-Request-ID=7583fd4e-91da-4d6b-8f4b-e3fc38a7dde7)";
        assertEquals(line, mask.format(line));
    }

    @Test
    void everySecretWordIsSeenInAnyCaseAndAtEitherEnd() {
        for (String word : new String[] {"pass", "secret", "sign", "token", "key", "cred", "auth", "bearer"}) {
            String upper = word.toUpperCase(java.util.Locale.ROOT);
            String mixed = Character.toUpperCase(word.charAt(0)) + word.substring(1);
            for (String text : new String[] {word, upper + " at the start", "at the end " + mixed, "x" + upper + "y"}) {
                assertTrue(LogMask.mayHoldSecret(text), text);
            }
            // One letter short of the word, at the end of the text: no match.
            assertFalse(LogMask.mayHoldSecret("at the end " + word.substring(0, word.length() - 1)), word);
        }
        assertFalse(LogMask.mayHoldSecret(""));
        assertFalse(LogMask.mayHoldSecret("Payment T-1 accepted by establishment 13807 (attempts=1, X-Request-ID=abc)"));
        // Neither non-ASCII letters nor ASCII punctuation are taken for a letter of a word.
        assertFalse(LogMask.mayHoldSecret("\u0150\u0153\u0154 @ [ ] ^ _ ` { | } ~"));
    }
}
