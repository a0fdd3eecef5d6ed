package eu.pisp.bpce.payment;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import org.apache.camel.Header;

/**
 * The X-Request-ID of a payment message: derived from its JMSMessageID, so that the same message redelivered after a
 * crash carries the same X-Request-ID and an operator can reconcile it with the bank; random for in-process calls.
 */
public final class RequestIds {

    public String forMessage(@Header("JMSMessageID") String jmsMessageId) {
        if (jmsMessageId == null || jmsMessageId.isBlank()) {
            return UUID.randomUUID().toString();
        }
        return UUID.nameUUIDFromBytes(("pisp-request:" + jmsMessageId).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
