package eu.pisp.bpce.token;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/** The token endpoint's 200 answer (RFC 6749 section 5.1, as the 89C3 API documents it). */
@JsonIgnoreProperties(ignoreUnknown = true)
public final class TokenResponse {

    @JsonProperty("access_token")
    public String accessToken;

    @JsonProperty("token_type")
    public String tokenType;

    /** Optional lifetime in seconds. */
    @JsonProperty("expires_in")
    public Long expiresIn;

    @JsonProperty("scope")
    public String scope;

    @Override
    public String toString() {
        return "TokenResponse[tokenType=" + tokenType + ", expiresIn=" + expiresIn + ", scope=" + scope
                + ", accessToken=****]";
    }
}
