package eu.pisp.bpce.establishment;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * One account-holding establishment of the registry, with its resolved base URL.
 *
 * @param cdetab       the 5-digit BPCE establishment code
 * @param name         a readable name for logs and outcomes
 * @param banque       the establishment's own domain label ({@code www.<cdetab>.live.api.<banque>.fr}), or null
 * @param clientId     the client_id this module presents to that establishment
 * @param baseUrl      scheme, host and optional base path of its STET API, no trailing slash
 * @param signRequests whether payment requests to it carry a STET HTTP signature
 */
public record Establishment(String cdetab, String name, String banque, String clientId, String baseUrl,
                            boolean signRequests) {

    /** client_id encoded for a form body or query string. */
    public String getUrlEncodedClientId() {
        return URLEncoder.encode(clientId, StandardCharsets.UTF_8);
    }




    @Override
    public String toString() {
        return cdetab + " (" + name + ")";
    }
}
