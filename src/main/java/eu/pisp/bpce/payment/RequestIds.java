package eu.pisp.bpce.payment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

import eu.pisp.bpce.Props;
import org.apache.camel.Exchange;

/**
 * The X-Request-ID of a payment message: derived from its JMSMessageID, so that the same message redelivered after a
 * crash carries the same X-Request-ID and an operator can reconcile it with the bank; from the exchange id for
 * in-process calls.
 */
public final class RequestIds {

    /**
     * Route step: sets property pispRequestId from property pispMessageId (the JMSMessageID), and pispMessageId to the
     * exchange id when there is none (in-process calls).
     */
    public void assign(Exchange exchange) {
        String messageId = exchange.getProperty(Props.MESSAGE_ID, String.class);
        if (messageId == null || messageId.isBlank()) {
            // In-process call: the exchange id is unique (its generator is seeded per start), and unlike
            // UUID.randomUUID() it does not queue every payment on one shared SecureRandom.
            messageId = exchange.getExchangeId();
            exchange.setProperty(Props.MESSAGE_ID, messageId);
        }
        exchange.setProperty(Props.REQUEST_ID, forMessage(messageId));
    }

    public static String forMessage(String jmsMessageId) {
        if (jmsMessageId == null || jmsMessageId.isBlank()) {
            return UUID.randomUUID().toString();
        }
        return nameUuid(("pisp-request:" + jmsMessageId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The same as {@link UUID#nameUUIDFromBytes} (version 3), with one MD5 digest per thread instead of a lookup. */
    static UUID nameUuid(byte[] name) {
        byte[] md5 = MD5.get().digest(name);
        md5[6] &= 0x0f;
        md5[6] |= 0x30;
        md5[8] &= 0x3f;
        md5[8] |= (byte) 0x80;
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = (msb << 8) | (md5[i] & 0xff);
        }
        for (int i = 8; i < 16; i++) {
            lsb = (lsb << 8) | (md5[i] & 0xff);
        }
        return new UUID(msb, lsb);
    }

    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every Java platform", e);
        }
    });
}
