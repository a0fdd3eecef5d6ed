package eu.pisp.bpce.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A private key and its certificate, read from a PKCS12 keystore, with errors an operator can act on. Error texts name
 * the property keys and the file, never a password.
 *
 * @param alias       the keystore entry used
 * @param privateKey  its private key
 * @param certificate its certificate (the first of the chain)
 * @param keyStore    the whole keystore, as loaded
 */
public record KeyMaterial(String alias, PrivateKey privateKey, X509Certificate certificate, KeyStore keyStore) {

    /** A certificate closer than this to its end of validity is reported at startup. */
    static final Duration EXPIRY_WARNING = Duration.ofDays(30);

    /**
     * Loads a private-key entry.
     *
     * @param prefix   the property prefix, for messages (e.g. {@code pisp.tls.keystore})
     * @param path     the PKCS12 file
     * @param password its password (also the key's password, as PKCS12 files made by keytool or openssl have it)
     * @param alias    the entry; blank: the keystore must hold exactly one private key entry
     */
    public static KeyMaterial load(String prefix, Path path, char[] password, String alias) {
        KeyStore ks = loadStore(prefix, path, password);
        try {
            List<String> keyAliases = new ArrayList<>();
            for (String a : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(a)) {
                    keyAliases.add(a);
                }
            }
            String chosen;
            if (alias == null || alias.isBlank()) {
                if (keyAliases.size() != 1) {
                    throw new IllegalStateException(prefix + ".alias is required: " + path + " holds "
                            + keyAliases.size() + " private key entries " + keyAliases);
                }
                chosen = keyAliases.get(0);
            } else {
                chosen = alias.strip();
                if (!ks.containsAlias(chosen) || !ks.isKeyEntry(chosen)) {
                    throw new IllegalStateException(prefix + ".alias '" + chosen + "' is not a private key entry of "
                            + path + " (private key entries: " + keyAliases + ")");
                }
            }
            PrivateKey key;
            try {
                key = (PrivateKey) ks.getKey(chosen, password);
            } catch (UnrecoverableKeyException e) {
                throw new IllegalStateException("The private key '" + chosen + "' of " + path
                        + " cannot be read with " + prefix + ".password (its key password differs)");
            }
            Certificate cert = ks.getCertificate(chosen);
            if (!(cert instanceof X509Certificate x509)) {
                throw new IllegalStateException("The entry '" + chosen + "' of " + path + " has no X.509 certificate");
            }
            return new KeyMaterial(chosen, key, x509, ks);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot read " + path + " (" + prefix + ".path): "
                    + e.getClass().getSimpleName(), e);
        }
    }

    /** Loads a PKCS12 keystore or truststore. */
    public static KeyStore loadStore(String prefix, Path path, char[] password) {
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException(prefix + ".path: no file at " + path.toAbsolutePath());
        }
        if (password == null || password.length == 0) {
            throw new IllegalStateException(prefix + ".password is empty: give it through the environment or a "
                    + "secret file (see the Security section of the README)");
        }
        try (InputStream in = Files.newInputStream(path)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            return ks;
        } catch (IOException e) {
            // PKCS12 reports a wrong password as an IOException whose cause is an UnrecoverableKeyException.
            boolean wrongPassword = e.getCause() instanceof UnrecoverableKeyException;
            throw new IllegalStateException("Cannot open " + path + " (" + prefix + ".path) as PKCS12"
                    + (wrongPassword ? ": wrong " + prefix + ".password" : ": " + e.getClass().getSimpleName()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot open " + path + " (" + prefix + ".path) as PKCS12: "
                    + e.getClass().getSimpleName());
        }
    }

    /** Subject, issuer, serial and validity, for a startup log line (nothing secret). */
    public String describe() {
        return "alias '" + alias + "', subject " + certificate.getSubjectX500Principal().getName()
                + ", issuer " + certificate.getIssuerX500Principal().getName()
                + ", serial " + certificate.getSerialNumber().toString(16)
                + ", valid until " + certificate.getNotAfter().toInstant();
    }

    /** A warning about the certificate's validity at {@code now}, or null when it is comfortably valid. */
    public String validityWarning(Instant now) {
        Instant notBefore = certificate.getNotBefore().toInstant();
        Instant notAfter = certificate.getNotAfter().toInstant();
        if (now.isBefore(notBefore)) {
            return "is not valid before " + notBefore;
        }
        if (now.isAfter(notAfter)) {
            return "EXPIRED on " + notAfter;
        }
        if (now.plus(EXPIRY_WARNING).isAfter(notAfter)) {
            return "expires on " + notAfter;
        }
        return null;
    }

    @Override
    public String toString() {
        return "KeyMaterial[" + describe() + ", privateKey=****]";
    }
}
