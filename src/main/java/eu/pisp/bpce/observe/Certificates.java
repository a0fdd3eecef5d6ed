package eu.pisp.bpce.observe;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The certificates the module presents, as the health check and the info endpoint show them: use and validity only. */
public final class Certificates {

    /**
     * @param use       {@code qwac} (mutual TLS with the banks), {@code qsealc} (request signatures), {@code broker}
     * @param notBefore start of validity
     * @param notAfter  end of validity
     */
    public record Entry(String use, Instant notBefore, Instant notAfter) {
        boolean validAt(Instant now) {
            return !now.isBefore(notBefore) && !now.isAfter(notAfter);
        }
    }

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    public void add(String use, X509Certificate certificate) {
        entries.add(new Entry(use, certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant()));
    }

    public List<Entry> all() {
        return List.copyOf(entries);
    }

    public boolean has(String use) {
        return entries.stream().anyMatch(e -> e.use().equals(use));
    }
}
