package eu.pisp.bpce.sim;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.Headers;

/**
 * What a bank checks on a signed STET request (HTTP Signatures, draft-cavage): the {@code Signature} header names the
 * expected keyId and rsa-sha256, covers at least {@code (request-target) date digest x-request-id}, verifies with the
 * TPP's QSealC public key; the {@code Digest} is the SHA-256 of the body received; the {@code Date} is recent.
 * The same for every method (GET, PUT, POST): the request target is the request's own method and path. A request
 * without a body (a GET) need not carry nor sign a {@code Digest}; when it carries one, it must match the empty body.
 * Written independently of the module's signer: it rebuilds the signing string from the request as received.
 */
public final class SignatureCheck {

    /** A refusal: the HTTP status and the STET ErrorModel message. */
    public record Failure(int status, String message) {
    }

    static final List<String> REQUIRED_HEADERS = List.of("(request-target)", "date", "digest", "x-request-id");
    /** Without a body there is nothing to digest. */
    static final List<String> REQUIRED_HEADERS_WITHOUT_BODY = List.of("(request-target)", "date", "x-request-id");
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final PublicKey key;
    private final String expectedKeyId;
    private final Duration maxClockSkew;

    /**
     * @param key           the QSealC certificate's public key
     * @param expectedKeyId the keyId the TPP registered (null: any)
     * @param maxClockSkew  how far the Date may be from now
     */
    public SignatureCheck(PublicKey key, String expectedKeyId, Duration maxClockSkew) {
        this.key = key;
        this.expectedKeyId = expectedKeyId;
        this.maxClockSkew = maxClockSkew;
    }

    /** Null when the request is correctly signed, else why not. */
    public Failure check(String method, String rawTarget, Headers headers, byte[] body) {
        String header = headers.getFirst("Signature");
        if (header == null || header.isBlank()) {
            return new Failure(401, "Signature absente");
        }
        Map<String, String> params = new HashMap<>();
        Matcher m = PARAM.matcher(header);
        while (m.find()) {
            params.put(m.group(1), m.group(2));
        }
        String keyId = params.get("keyId");
        String algorithm = params.get("algorithm");
        String signed = params.get("headers");
        String signature = params.get("signature");
        if (keyId == null || signature == null || signed == null) {
            return new Failure(401, "Signature mal formée (keyId, headers et signature sont requis)");
        }
        if (expectedKeyId != null && !expectedKeyId.equals(keyId)) {
            return new Failure(401, "Signature: keyId inconnu");
        }
        if (!"rsa-sha256".equals(algorithm)) {
            return new Failure(401, "Signature: algorithme non supporté");
        }
        List<String> names = Arrays.asList(signed.toLowerCase(Locale.ROOT).trim().split("\\s+"));
        boolean hasBody = body != null && body.length > 0;
        if (!names.containsAll(hasBody ? REQUIRED_HEADERS : REQUIRED_HEADERS_WITHOUT_BODY)) {
            return new Failure(401, hasBody
                    ? "Signature: les en-têtes (request-target) date digest x-request-id doivent être signés"
                    : "Signature: les en-têtes (request-target) date x-request-id doivent être signés");
        }
        String digest = headers.getFirst("Digest");
        if (digest == null && (hasBody || names.contains("digest"))) {
            return new Failure(400, "Digest absent");
        }
        if (digest != null && !digest.equals("SHA-256=" + sha256(body == null ? new byte[0] : body))) {
            return new Failure(400, "Digest invalide: il ne correspond pas au corps de la requête");
        }
        String date = headers.getFirst("Date");
        try {
            Instant at = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            if (Duration.between(at, Instant.now()).abs().compareTo(maxClockSkew) > 0) {
                return new Failure(401, "Signature: Date hors de la fenêtre acceptée");
            }
        } catch (DateTimeParseException | NullPointerException e) {
            return new Failure(401, "Signature: Date absente ou invalide");
        }
        StringBuilder signingString = new StringBuilder();
        for (String name : names) {
            if (signingString.length() > 0) {
                signingString.append('\n');
            }
            if (name.equals("(request-target)")) {
                signingString.append("(request-target): ").append(method.toLowerCase(Locale.ROOT)).append(' ')
                        .append(rawTarget);
            } else {
                List<String> values = headers.get(name);
                if (values == null || values.isEmpty()) {
                    return new Failure(401, "Signature: en-tête signé absent: " + name);
                }
                signingString.append(name).append(": ").append(String.join(", ", values));
            }
        }
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initVerify(key);
            rsa.update(signingString.toString().getBytes(StandardCharsets.UTF_8));
            if (!rsa.verify(Base64.getDecoder().decode(signature))) {
                return new Failure(401, "Signature invalide");
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return new Failure(401, "Signature invalide");
        }
        return null;
    }

    private static String sha256(byte[] body) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
