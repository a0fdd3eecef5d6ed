package eu.pisp.bpce.security;

import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Instant;
import java.util.List;

import org.apache.camel.support.jsse.KeyManagersParameters;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.jsse.SecureSocketProtocolsParameters;
import org.apache.camel.support.jsse.TrustManagersParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS client side of every call to a bank (token and payment): the TPP's eIDAS QWAC certificate for mutual TLS,
 * the certificates trusted for the bank's server, TLS 1.2 or 1.3 only. Built as Camel {@link SSLContextParameters} for
 * the {@code http} and {@code https} components; host names are checked by the component's default verifier.
 *
 * <p>Off (null) while neither a keystore nor a truststore is configured: the demo and most tests talk plain HTTP to
 * the simulator.
 */
public final class ClientTls {

    private static final Logger LOG = LoggerFactory.getLogger(ClientTls.class);

    /** TLS versions offered to banks. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /**
     * What {@code pisp.tls.*} says.
     *
     * @param keystorePath       {@code pisp.tls.keystore.path}: PKCS12 with the QWAC key and chain; blank: no client
     *                           certificate
     * @param keystorePassword   {@code pisp.tls.keystore.password}
     * @param keystoreAlias      {@code pisp.tls.keystore.alias}; blank when the keystore holds a single key
     * @param truststorePath     {@code pisp.tls.truststore.path}: PKCS12 with the CA certificates of the banks' servers;
     *                           blank: the JVM's default trusted CAs
     * @param truststorePassword {@code pisp.tls.truststore.password}
     */
    public record Settings(String keystorePath, char[] keystorePassword, String keystoreAlias, String truststorePath,
                           char[] truststorePassword) {
        boolean clientCertificate() {
            return keystorePath != null && !keystorePath.isBlank();
        }

        boolean ownTruststore() {
            return truststorePath != null && !truststorePath.isBlank();
        }

        @Override
        public String toString() {
            return "Settings[keystorePath=" + keystorePath + ", keystoreAlias=" + keystoreAlias + ", truststorePath="
                    + truststorePath + ", passwords=****]";
        }
    }

    private ClientTls() {
    }

    /**
     * The SSL context parameters for calls to banks, or null when nothing is configured. Opens the stores now, so a
     * wrong path, password or alias stops the start with a readable error.
     */
    public static SSLContextParameters create(Settings s) {
        return create(s, certificate -> { });
    }

    /** As {@link #create(Settings)}, telling {@code clientCertificate} the QWAC presented (health, info). */
    public static SSLContextParameters create(Settings s,
                                              java.util.function.Consumer<java.security.cert.X509Certificate> clientCertificate) {
        if (!s.clientCertificate() && !s.ownTruststore()) {
            LOG.info("TLS to banks: JVM defaults, no client certificate (pisp.tls.keystore.path is empty)");
            return null;
        }
        SSLContextParameters params = new SSLContextParameters();
        SecureSocketProtocolsParameters protocols = new SecureSocketProtocolsParameters();
        protocols.setSecureSocketProtocol(PROTOCOLS);
        params.setSecureSocketProtocols(protocols);

        if (s.clientCertificate()) {
            KeyMaterial qwac = KeyMaterial.load("pisp.tls.keystore", Path.of(s.keystorePath().strip()),
                    s.keystorePassword(), s.keystoreAlias());
            KeyStoreParameters ksp = new KeyStoreParameters();
            ksp.setKeyStore(qwac.keyStore());
            KeyManagersParameters kmp = new KeyManagersParameters();
            kmp.setKeyStore(ksp);
            kmp.setKeyPassword(new String(s.keystorePassword()));
            params.setKeyManagers(kmp);
            // Present this entry's certificate even if the keystore holds others.
            params.setCertAlias(qwac.alias());
            LOG.info("Mutual TLS to banks on: client certificate {}", qwac.describe());
            clientCertificate.accept(qwac.certificate());
            warnAboutValidity("The QWAC client certificate", qwac);
        } else {
            LOG.warn("TLS to banks without a client certificate (pisp.tls.keystore.path is empty): banks requiring "
                    + "mutual TLS will refuse the connection");
        }
        if (s.ownTruststore()) {
            KeyStore trust = KeyMaterial.loadStore("pisp.tls.truststore", Path.of(s.truststorePath().strip()),
                    s.truststorePassword());
            KeyStoreParameters tsp = new KeyStoreParameters();
            tsp.setKeyStore(trust);
            TrustManagersParameters tmp = new TrustManagersParameters();
            tmp.setKeyStore(tsp);
            params.setTrustManagers(tmp);
            LOG.info("Bank server certificates checked against {} ({} entries)", s.truststorePath().strip(),
                    size(trust));
        } else {
            LOG.info("Bank server certificates checked against the JVM's default trusted CAs");
        }
        return params;
    }

    private static void warnAboutValidity(String what, KeyMaterial material) {
        String warning = material.validityWarning(Instant.now());
        if (warning != null) {
            LOG.warn("{} {}", what, warning);
        }
    }

    private static int size(KeyStore ks) {
        try {
            return ks.size();
        } catch (java.security.KeyStoreException e) {
            return -1;
        }
    }
}
