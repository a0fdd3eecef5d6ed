package eu.pisp.bpce.support;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for the TLS and signature tests, generated at test time into a temporary folder (never committed):
 * <ul>
 *   <li>a bank CA and the bank's server certificate for 127.0.0.1 / localhost, another for a different host name,
 *       and a server certificate from a CA nobody trusts;</li>
 *   <li>a TPP CA with the QWAC client certificate and the QSealC signing certificate;</li>
 *   <li>a rogue CA with a client certificate the bank does not trust.</li>
 * </ul>
 * The module gets PKCS12 files (with random passwords); the simulator gets in-memory SSL contexts.
 */
public final class TestPki {

    public static final String QWAC_ALIAS = "qwac";
    public static final String QSEALC_ALIAS = "qsealc";
    public static final String QSEALC_KEY_ID = "https://pisp.example/certs/qsealc.pem";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());
    private static TestPki shared;

    /** A key pair with its certificate, and the CA certificate that issued it (itself for a CA). */
    public record Issued(KeyPair keys, X509Certificate cert, X509Certificate issuer) {
    }

    public final Path dir;
    public final Issued bankCa;
    public final Issued bankServer;
    public final Issued bankServerOtherHost;
    public final Issued unknownCa;
    public final Issued bankServerUnknownCa;
    public final Issued tppCa;
    public final Issued qwac;
    public final Issued qsealc;
    public final Issued rogueCa;
    public final Issued rogueQwac;

    /** PKCS12 files for the module, and their passwords. */
    public final Path qwacKeystore;
    public final Path rogueQwacKeystore;
    public final Path qsealcKeystore;
    public final Path truststore;
    public final String qwacPassword = password();
    public final String roguePassword = password();
    public final String qsealcPassword = password();
    public final String truststorePassword = password();

    /** One set per test JVM: generating RSA keys is the slow part. Deleted when the JVM ends. */
    public static synchronized TestPki shared() {
        if (shared == null) {
            try {
                shared = new TestPki(Files.createTempDirectory("pisp-test-pki"));
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalStateException("Cannot generate the test certificates", e);
            }
            Path d = shared.dir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(d)));
        }
        return shared;
    }

    private TestPki(Path dir) throws IOException, GeneralSecurityException {
        this.dir = dir;
        bankCa = ca("CN=Test Bank Root CA,O=Test Bank,C=FR");
        bankServer = leaf(bankCa, "CN=127.0.0.1,O=Test Bank,C=FR", KeyPurposeId.id_kp_serverAuth,
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost"));
        bankServerOtherHost = leaf(bankCa, "CN=www.13807.live.api.89c3.com,O=Test Bank,C=FR",
                KeyPurposeId.id_kp_serverAuth, new GeneralName(GeneralName.dNSName, "www.13807.live.api.89c3.com"));
        unknownCa = ca("CN=Unknown Root CA,O=Nobody,C=FR");
        bankServerUnknownCa = leaf(unknownCa, "CN=127.0.0.1,O=Impostor Bank,C=FR", KeyPurposeId.id_kp_serverAuth,
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost"));
        tppCa = ca("CN=Test QTSP CA,O=Test QTSP,C=FR");
        qwac = leaf(tppCa, "CN=Test PISP QWAC,2.5.4.97=PSDFR-ACPR-12345,O=Test PISP,C=FR",
                KeyPurposeId.id_kp_clientAuth);
        qsealc = leaf(tppCa, "CN=Test PISP QSealC,2.5.4.97=PSDFR-ACPR-12345,O=Test PISP,C=FR", null);
        rogueCa = ca("CN=Rogue CA,O=Rogue,C=FR");
        rogueQwac = leaf(rogueCa, "CN=Rogue PISP,2.5.4.97=PSDFR-ACPR-99999,O=Rogue,C=FR",
                KeyPurposeId.id_kp_clientAuth);

        qwacKeystore = pkcs12(dir.resolve("qwac.p12"), QWAC_ALIAS, qwac, qwacPassword);
        rogueQwacKeystore = pkcs12(dir.resolve("rogue-qwac.p12"), QWAC_ALIAS, rogueQwac, roguePassword);
        qsealcKeystore = pkcs12(dir.resolve("qsealc.p12"), QSEALC_ALIAS, qsealc, qsealcPassword);
        truststore = dir.resolve("truststore.p12");
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("test-bank-root", bankCa.cert());
        write(ts, truststore, truststorePassword);
    }

    /** The bank side of TLS: this server certificate, and client certificates issued by these CAs accepted. */
    public SSLContext bankTls(Issued server, X509Certificate... acceptedClientCas) throws GeneralSecurityException {
        char[] pw = "in-memory".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        ks.setKeyEntry("server", server.keys().getPrivate(), pw, new X509Certificate[] {server.cert(), server.issuer()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try {
            trust.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        for (int i = 0; i < acceptedClientCas.length; i++) {
            trust.setCertificateEntry("client-ca-" + i, acceptedClientCas[i]);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), RANDOM);
        return ctx;
    }

    /** The usual bank: server certificate for 127.0.0.1 from the bank CA, accepting QWACs of the TPP's CA. */
    public SSLContext bankTls() throws GeneralSecurityException {
        return bankTls(bankServer, tppCa.cert());
    }

    private static Issued ca(String dn) throws GeneralSecurityException {
        KeyPair keys = rsa();
        X500Name name = new X500Name(dn);
        X509v3CertificateBuilder b = builder(name, name, keys);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        X509Certificate cert = sign(b, keys);
        return new Issued(keys, cert, cert);
    }

    private static Issued leaf(Issued ca, String dn, KeyPurposeId purpose, GeneralName... sans)
            throws GeneralSecurityException {
        KeyPair keys = rsa();
        X509v3CertificateBuilder b = builder(X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded()),
                new X500Name(dn), keys);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.cert()));
            if (purpose == null) {
                // QSealC: a seal, used for signatures only.
                b.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
            } else {
                b.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            }
            if (sans.length > 0) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
            }
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        return new Issued(keys, sign(b, ca.keys()), ca.cert());
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIALS.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(365))), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) throws GeneralSecurityException {
        try {
            ContentSigner cs = new JcaContentSignerBuilder("SHA256withRSA").build(signer.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(b.build(cs));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** The next key pair of the build's shared set (see {@link KeyPool}); a fresh one once the set is used up. */
    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPair pooled = KeyPool.next();
        return pooled != null ? pooled : generate();
    }

    private static KeyPair generate() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048, RANDOM);
        return g.generateKeyPair();
    }

    /**
     * The RSA key pairs of a set, made once per build and shared by the test JVMs: generating ten 2048-bit keys took
     * about half of each surefire JVM's CPU samples (JFR, 2026-12-03: the tests' client-compiler-only JVMs run
     * BigInteger's arithmetic without the server compiler's intrinsics), three times per build. The first JVM takes
     * a file lock and writes them to {@code target/test-pki-keys} (written aside, then renamed: no JVM reads a half
     * file); the others read them. Certificates, keystores and passwords stay per JVM. Test keys only: the file is
     * under target/, never committed, gone with {@code mvn clean}.
     */
    private static final class KeyPool {

        private static final int SIZE = 10;
        private static final Path FILE = Path.of("target", "test-pki-keys");
        private static Deque<KeyPair> keys;

        static synchronized KeyPair next() throws GeneralSecurityException {
            if (keys == null) {
                keys = new ArrayDeque<>(load());
            }
            return keys.poll();
        }

        private static List<KeyPair> load() throws GeneralSecurityException {
            try {
                Files.createDirectories(FILE.toAbsolutePath().getParent());
                try (FileChannel lock = FileChannel.open(
                        FILE.resolveSibling(FILE.getFileName() + ".lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE); FileLock ignored = lock.lock()) {
                    if (Files.exists(FILE)) {
                        return read();
                    }
                    List<KeyPair> made = new ArrayList<>();
                    for (int i = 0; i < SIZE; i++) {
                        made.add(generate());
                    }
                    Path written = FILE.resolveSibling(FILE.getFileName() + ".new");
                    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(written))) {
                        for (KeyPair k : made) {
                            byte[] priv = k.getPrivate().getEncoded();
                            byte[] pub = k.getPublic().getEncoded();
                            out.writeInt(priv.length);
                            out.write(priv);
                            out.writeInt(pub.length);
                            out.write(pub);
                        }
                    }
                    Files.move(written, FILE, StandardCopyOption.ATOMIC_MOVE);
                    return made;
                }
            } catch (IOException e) {
                // No shared set (read-only folder...): every JVM makes its own keys, slower, same certificates.
                return List.of();
            }
        }

        private static List<KeyPair> read() throws IOException, GeneralSecurityException {
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            List<KeyPair> read = new ArrayList<>();
            try (DataInputStream in = new DataInputStream(Files.newInputStream(FILE))) {
                for (int i = 0; i < SIZE; i++) {
                    byte[] priv = in.readNBytes(in.readInt());
                    byte[] pub = in.readNBytes(in.readInt());
                    read.add(new KeyPair(rsa.generatePublic(new X509EncodedKeySpec(pub)),
                            rsa.generatePrivate(new PKCS8EncodedKeySpec(priv))));
                }
            }
            return read;
        }
    }

    private static Path pkcs12(Path file, String alias, Issued entry, String password)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(alias, entry.keys().getPrivate(), password.toCharArray(),
                new X509Certificate[] {entry.cert(), entry.issuer()});
        write(ks, file, password);
        return file;
    }

    private static void write(KeyStore ks, Path file, String password) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
    }

    private static String password() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return "pw-" + HexFormat.of().formatHex(b);
    }

    private static void deleteTree(Path d) {
        try (Stream<Path> files = Files.walk(d)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
