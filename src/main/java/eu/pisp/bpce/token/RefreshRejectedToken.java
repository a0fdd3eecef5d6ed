package eu.pisp.bpce.token;

import eu.pisp.bpce.Props;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code onRedelivery} step of the "token refused" redelivery policy: drops the refused token (if still cached),
 * obtains a fresh one and sets it on the message that is about to be resent. Camel restores the message as it was
 * before the failed send, so the new credentials must be set here, not earlier.
 */
public final class RefreshRejectedToken implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(RefreshRejectedToken.class);

    private final TokenCache tokens;

    public RefreshRejectedToken(TokenCache tokens) {
        this.tokens = tokens;
    }

    @Override
    public void process(Exchange exchange) {
        String cdetab = exchange.getProperty(Props.CDETAB, String.class);
        AccessToken refused = exchange.getProperty(Props.TOKEN, AccessToken.class);
        tokens.invalidateIfCurrent(cdetab, refused);
        AccessToken fresh = tokens.get(cdetab);
        exchange.setProperty(Props.TOKEN, fresh);
        exchange.setProperty(Props.TOKEN_FRESH, true);
        exchange.getMessage().setHeader("Authorization", fresh.getAuthorization());
        LOG.info("Establishment {} refused token #{} for payment {}: resending with token #{}", cdetab,
                refused == null ? "?" : refused.serial(), exchange.getProperty(Props.PAYMENT_ID), fresh.serial());
    }
}
