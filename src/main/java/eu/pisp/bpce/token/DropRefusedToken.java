package eu.pisp.bpce.token;

import eu.pisp.bpce.Props;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code onRedelivery} step of the "token refused" redelivery policy: drops the token the bank refused (only if
 * the cache still holds that very token) and clears it from the exchange, so that the resend, which Camel restores to
 * the message as it was before the failed send, gets a new token through {@code direct:get-token} first. A failure to
 * get that token is then handled by the token-endpoint policy (back-off, then TOKEN_UNAVAILABLE).
 */
public final class DropRefusedToken implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(DropRefusedToken.class);

    private final TokenCache tokens;

    public DropRefusedToken(TokenCache tokens) {
        this.tokens = tokens;
    }

    @Override
    public void process(Exchange exchange) {
        String cdetab = exchange.getProperty(Props.CDETAB, String.class);
        AccessToken refused = exchange.getProperty(Props.TOKEN, AccessToken.class);
        tokens.invalidateIfCurrent(cdetab, refused);
        exchange.removeProperty(Props.TOKEN);
        exchange.removeProperty(Props.AUTHORIZATION);
        exchange.getMessage().removeHeader("Authorization");
        LOG.info("Establishment {} refused token #{} for payment {}: resending with a new token", cdetab,
                refused == null ? "?" : refused.serial(), exchange.getProperty(Props.PAYMENT_ID));
    }
}
