package eu.pisp.bpce.establishment;

/** Makes untrusted or sensitive values safe to put in a log line or an error reason. */
public final class Masking {

    private static final int MAX_ECHO = 200;
    /** Country code, check digits, 11 to 30 alphanumerics, optionally spaced. */
    private static final java.util.regex.Pattern IBAN_IN_TEXT =
            java.util.regex.Pattern.compile("\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){11,30}\\b");

    private Masking() {
    }

    /** An IBAN with all but its last 4 characters masked. */
    public static String iban(String iban) {
        if (iban == null) {
            return "null";
        }
        String s = iban.replace(" ", "");
        if (s.length() <= 4) {
            return "****";
        }
        return "*".repeat(Math.min(s.length() - 4, 30)) + s.substring(s.length() - 4);
    }

    /** Every IBAN in a text (compact or printed in groups of 4) with all but its last 4 characters masked. */
    public static String ibansIn(String text) {
        if (text == null) {
            return null;
        }
        if (!mayHoldIban(text)) {
            return text;
        }
        java.util.regex.Matcher m = IBAN_IN_TEXT.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder sb = new StringBuilder();
        do {
            m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement(iban(m.group())));
        } while (m.find());
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * False when no IBAN can start anywhere in the text (two capitals, then two digits): most log lines, which then
     * skip the regular expression (per payment, it cost more than the rest of the masking).
     */
    private static boolean mayHoldIban(String text) {
        for (int i = 0, n = text.length() - 3; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                char c1 = text.charAt(i + 1);
                if (c1 >= 'A' && c1 <= 'Z' && isDigit(text.charAt(i + 2)) && isDigit(text.charAt(i + 3))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** An untrusted value echoed in a reason: IBANs masked, control characters escaped, length bounded. */
    public static String printable(String value) {
        if (value == null) {
            return "null";
        }
        value = ibansIn(value);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < value.length() && sb.length() < MAX_ECHO; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (value.length() > MAX_ECHO) {
            sb.append("...");
        }
        return sb.toString();
    }
}
