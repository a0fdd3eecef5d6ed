package eu.pisp.bpce.establishment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.Props;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * The establishments this module may call. Only a code read from this registry is ever put into a URI: a cdetab that
 * is not an exact registry key (padded, lower-case hex, with URL characters...) is refused before any request.
 */
public final class EstablishmentRegistry {

    /** The default live host of the 89C3 API; the {@code <banque>} domain applies only while this one is in force. */
    public static final String DEFAULT_BASE_URL_TEMPLATE = "https://www.{cdetab}.live.api.89c3.com";

    private static final Pattern CDETAB = Pattern.compile("\\d{5}");
    private static final Pattern FRENCH_IBAN = Pattern.compile("FR\\d{2}(\\d{5})[0-9A-Z]{18}");

    private final Map<String, Establishment> byCode;

    public EstablishmentRegistry(Map<String, Establishment> byCode) {
        this.byCode = Collections.unmodifiableMap(new LinkedHashMap<>(byCode));
    }

    /**
     * Reads the registry file (YAML, see {@code config/establishments.yaml}).
     *
     * @param file                   the registry file
     * @param baseUrlTemplate        {@code pisp.aspsp.base-url-template}, with {@code {cdetab}}
     * @param banqueBaseUrlTemplate  {@code pisp.aspsp.banque-base-url-template}, with {@code {cdetab}} and {@code {banque}}
     * @param defaultClientId        {@code pisp.client-id}, for establishments without their own
     * @param defaultSignRequests    {@code pisp.signature.enabled}, for establishments that do not say
     */
    public static EstablishmentRegistry load(Path file, String baseUrlTemplate, String banqueBaseUrlTemplate,
                                             String defaultClientId, boolean defaultSignRequests) throws IOException {
        if (defaultClientId == null || defaultClientId.isBlank()) {
            throw new IllegalStateException("pisp.client-id is required: the TPP's eIDAS organization identifier "
                    + "(e.g. PSDFR-ACPR-12345); set PISP_CLIENT_ID or -Dpisp.client-id");
        }
        RegistryFile parsed = new ObjectMapper(new YAMLFactory()).readValue(Files.readAllBytes(file), RegistryFile.class);
        if (parsed.establishments == null || parsed.establishments.isEmpty()) {
            throw new IllegalStateException("The establishment registry " + file + " lists no establishment");
        }
        Map<String, Establishment> byCode = new LinkedHashMap<>();
        for (Entry e : parsed.establishments) {
            if (e.cdetab == null || !CDETAB.matcher(e.cdetab).matches()) {
                throw new IllegalStateException("Registry " + file + ": cdetab must be 5 digits, got '" + e.cdetab + "'");
            }
            boolean ownDomain = e.banque != null && !e.banque.isBlank()
                    && DEFAULT_BASE_URL_TEMPLATE.equals(baseUrlTemplate);
            if (e.banque != null && !e.banque.matches("[a-z0-9-]+")) {
                throw new IllegalStateException("Registry " + file + ": banque of " + e.cdetab + " is not a domain label");
            }
            String template = ownDomain ? banqueBaseUrlTemplate : baseUrlTemplate;
            String baseUrl = stripTrailingSlash(template.replace("{cdetab}", e.cdetab)
                    .replace("{banque}", e.banque == null ? "" : e.banque));
            String clientId = e.clientId == null || e.clientId.isBlank() ? defaultClientId : e.clientId;
            boolean sign = e.signRequests == null ? defaultSignRequests : e.signRequests;
            String name = e.name == null || e.name.isBlank() ? "BPCE " + e.cdetab : e.name;
            if (byCode.put(e.cdetab, new Establishment(e.cdetab, name, e.banque, clientId, baseUrl, sign)) != null) {
                throw new IllegalStateException("Registry " + file + " lists " + e.cdetab + " twice");
            }
        }
        return new EstablishmentRegistry(byCode);
    }

    /**
     * Route step: resolves the establishment of a payment (see {@link #resolve}) and sets properties pispEstablishment,
     * pispCdetab, pispBaseUrl and pispSignRequests, the plain values the routes use.
     */
    public void assign(Exchange exchange) {
        Establishment e = resolve(exchange.getProperty(Props.REQUESTED_CDETAB),
                exchange.getProperty(Props.DEBTOR_IBAN, String.class));
        exchange.setProperty(Props.ESTABLISHMENT, e);
        exchange.setProperty(Props.CDETAB, e.cdetab());
        exchange.setProperty(Props.BASE_URL, e.baseUrl());
        exchange.setProperty(Props.SIGN_REQUESTS, e.signRequests());
        eu.pisp.bpce.observe.LogContext.establishment(exchange, e.cdetab());
    }

    /**
     * The establishment of a payment: the {@code cdetab} header when the sender gave one, otherwise characters 5-9 of
     * the debtor's French IBAN.
     */
    public Establishment resolve(Object requestedCdetab, String debtorIban) {
        if (requestedCdetab != null) {
            return require(String.valueOf(requestedCdetab));
        }
        if (debtorIban == null || debtorIban.isBlank()) {
            throw new PaymentFailedException(ErrorCode.UNKNOWN_ESTABLISHMENT,
                    "No establishment: the message has no cdetab header and no debtorAccount.iban to derive it from");
        }
        String iban = debtorIban.replace(" ", "").toUpperCase(java.util.Locale.ROOT);
        var m = FRENCH_IBAN.matcher(iban);
        if (!m.matches()) {
            throw new PaymentFailedException(ErrorCode.UNKNOWN_ESTABLISHMENT,
                    "No establishment: no cdetab header, and debtorAccount.iban (" + Masking.iban(iban)
                            + ") is not a French IBAN to derive it from");
        }
        return require(m.group(1));
    }

    /** The registered establishment with exactly this code, or an UNKNOWN_ESTABLISHMENT failure. */
    public Establishment require(@Header("cdetab") String cdetab) {
        Establishment e = cdetab == null ? null : byCode.get(cdetab);
        if (e == null) {
            throw new PaymentFailedException(ErrorCode.UNKNOWN_ESTABLISHMENT,
                    "Establishment '" + Masking.printable(cdetab) + "' is not in the establishment registry");
        }
        return e;
    }

    public Map<String, Establishment> all() {
        return byCode;
    }

    private static String stripTrailingSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class RegistryFile {
        public List<Entry> establishments;
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Entry {
        public String cdetab;
        public String name;
        public String banque;
        public String clientId;
        public Boolean signRequests;
    }
}
