package eu.pisp.bpce.establishment;

/** Makes untrusted or sensitive values safe to put in a log line or an error reason. */
public final class Masking {

    private static final int MAX_ECHO = 200;

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

    /** An untrusted value echoed in a reason: control characters escaped, length bounded. */
    public static String printable(String value) {
        if (value == null) {
            return "null";
        }
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
