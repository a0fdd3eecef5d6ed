package eu.pisp.bpce.security;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;

import eu.pisp.bpce.Props;
import eu.pisp.bpce.establishment.Establishment;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Signs a STET payment request with the TPP's QSealC key: HTTP Signatures (draft-cavage-http-signatures), as the STET
 * PSD2 specification asks for its {@code Signature} header. The route calls {@link #sign(Exchange)} right before the
 * HTTP call, after Authorization, X-Request-ID and the body are set; it sets:
 * <ul>
 *   <li>{@code Date}: now, as an HTTP date;</li>
 *   <li>{@code Digest: SHA-256=<base64 of the SHA-256 of the body bytes>};</li>
 *   <li>{@code Signature: keyId="<URL of the QSealC certificate>",algorithm="rsa-sha256",
 *       headers="(request-target) date digest x-request-id",signature="<base64>"}.</li>
 * </ul>
 * The body becomes the exact bytes that were digested (UTF-8 for text), so what is sent is what is signed.
 * {@code Authorization} is not signed: a resend with a new token is signed again anyway, with a new Date.
 *
 * <p>The key never leaves this object; {@link #toString()} shows only the keyId.
 */
public final class StetRequestSigner {

    /** The headers covered by the signature, in signing order (STET: request target, date, body digest, request id). */
    public static final String SIGNED_HEADERS = "(request-target) date digest x-request-id";
    public static final String ALGORITHM = "rsa-sha256";

    /** IMF-fixdate (RFC 7231): two-digit day, always GMT. */
    static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'",
            Locale.US).withZone(ZoneOffset.UTC);

    private final PrivateKey key;
    private final String keyId;
    private final String paymentPath;
    private final Clock clock;

    /**
     * @param key         the QSealC private key (RSA)
     * @param keyId       {@code pisp.signature.key-id}: the URL where the bank can fetch the QSealC certificate
     * @param paymentPath {@code pisp.aspsp.payment-path}, appended to the establishment's base URL as in the route
     * @param clock       the source of the Date header
     */
    public StetRequestSigner(PrivateKey key, String keyId, String paymentPath, Clock clock) {
        if (key == null) {
            throw new IllegalArgumentException("no signing key");
        }
        if (!(key instanceof RSAKey)) {
            throw new IllegalStateException("The QSealC key (pisp.signature.keystore) is a " + key.getAlgorithm()
                    + " key; the STET signature uses " + ALGORITHM);
        }
        this.key = key;
        this.keyId = checkKeyId(keyId);
        this.paymentPath = paymentPath;
        this.clock = clock;
    }

    private StetRequestSigner() {
        this.key = null;
        this.keyId = null;
        this.paymentPath = null;
        this.clock = null;
    }

    /**
     * The signer bound when no establishment of the registry signs (no QSealC configured): the route's filter never
     * calls it, and if it did, the payment would fail before anything is sent.
     */
    public static StetRequestSigner disabled() {
        return new StetRequestSigner();
    }

    /** False for {@link #disabled()}. */
    public boolean isEnabled() {
        return key != null;
    }

    /** Sets Date, Digest and Signature on the request about to be sent. */
    public void sign(Exchange exchange) throws GeneralSecurityException {
        if (key == null) {
            throw new IllegalStateException("Establishment " + exchange.getProperty(Props.ESTABLISHMENT)
                    + " signs its requests but no QSealC key is configured (pisp.signature.keystore.*)");
        }
        Message msg = exchange.getMessage();
        Establishment establishment = exchange.getProperty(Props.ESTABLISHMENT, Establishment.class);
        if (establishment == null) {
            throw new IllegalStateException("No establishment on the exchange: cannot build the request target");
        }
        String requestId = msg.getHeader("X-Request-ID", String.class);
        if (requestId == null || requestId.isBlank()) {
            throw new IllegalStateException("X-Request-ID must be set before signing");
        }
        byte[] body = bodyBytes(msg);
        msg.setBody(body);

        String date = HTTP_DATE.format(Instant.now(clock));
        String digest = digest(body);
        // The real method and path of this call (direct:call-bank sets them); a payment POST when none is given.
        String method = exchange.getProperty(Props.BANK_METHOD, "POST", String.class);
        String path = exchange.getProperty(Props.BANK_PATH, paymentPath, String.class);
        String target = requestTarget(method, establishment.baseUrl() + path);
        String signature = signature(signingString(target, date, digest, requestId));

        msg.setHeader("Date", date);
        msg.setHeader("Digest", digest);
        msg.setHeader("Signature", "keyId=\"" + keyId + "\",algorithm=\"" + ALGORITHM + "\",headers=\""
                + SIGNED_HEADERS + "\",signature=\"" + signature + "\"");
    }

    /** {@code SHA-256=<base64>} of the bytes. */
    public static String digest(byte[] body) {
        try {
            return "SHA-256=" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** The {@code (request-target)} value: lower-case method, space, path and query as they appear in the request. */
    public static String requestTarget(String method, String url) {
        URI uri = URI.create(url);
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return method.toLowerCase(Locale.ROOT) + " " + path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    /** The string that is signed: one {@code name: value} line per signed header, no final newline. */
    public static String signingString(String requestTarget, String date, String digest, String requestId) {
        return "(request-target): " + requestTarget + "\n"
                + "date: " + date + "\n"
                + "digest: " + digest + "\n"
                + "x-request-id: " + requestId;
    }

    public String getKeyId() {
        return keyId;
    }

    private String signature(String signingString) throws GeneralSecurityException {
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(key);
        rsa.update(signingString.getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(rsa.sign());
    }

    private static byte[] bodyBytes(Message msg) {
        Object body = msg.getBody();
        if (body == null) {
            return new byte[0]; // a GET: the digest of an empty body
        }
        if (body instanceof byte[] bytes) {
            return bytes;
        }
        if (body instanceof String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        byte[] converted = msg.getBody(byte[].class);
        if (converted == null) {
            throw new IllegalStateException("The payment request body cannot be read as bytes for its digest");
        }
        return converted;
    }

    private static String checkKeyId(String keyId) {
        if (keyId == null || keyId.isBlank()) {
            throw new IllegalStateException("pisp.signature.key-id is required when requests are signed: the URL "
                    + "where the bank can fetch the QSealC certificate");
        }
        String k = keyId.strip();
        URI uri;
        try {
            uri = URI.create(k);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("pisp.signature.key-id is not a URL: " + k);
        }
        if (!uri.isAbsolute() || uri.getHost() == null || k.contains("\"")
                || !("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))) {
            throw new IllegalStateException("pisp.signature.key-id must be the absolute http(s) URL of the QSealC "
                    + "certificate, got: " + k);
        }
        return k;
    }

    @Override
    public String toString() {
        if (key == null) {
            return "StetRequestSigner[disabled]";
        }
        return "StetRequestSigner[keyId=" + keyId + ", algorithm=" + ALGORITHM + ", headers=" + SIGNED_HEADERS + "]";
    }
}
