package eu.pisp.bpce.payment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import eu.pisp.bpce.Props;
import org.apache.camel.Exchange;

/**
 * The X-Request-ID of a payment message: derived from its JMSMessageID, so that the same message redelivered after a
 * crash carries the same X-Request-ID and an operator can reconcile it with the bank; random for in-process calls.
 */
public final class RequestIds {

    /**
     * Route step: sets property pispRequestId from property pispMessageId (the JMSMessageID); for an in-process call
     * (no JMSMessageID) both get a new random id.
     */
    public void assign(Exchange exchange) {
        String messageId = exchange.getProperty(Props.MESSAGE_ID, String.class);
        if (messageId == null || messageId.isBlank()) {
            // In-process call: a new random id for each payment (even on a reused exchange).
            String id = randomUuid();
            exchange.setProperty(Props.MESSAGE_ID, "in-process:" + id);
            exchange.setProperty(Props.REQUEST_ID, id);
            eu.pisp.bpce.observe.LogContext.message(exchange, "in-process:" + id, id);
            return;
        }
        String requestId = forMessage(messageId);
        exchange.setProperty(Props.REQUEST_ID, requestId);
        eu.pisp.bpce.observe.LogContext.message(exchange, messageId, requestId);
    }

    /**
     * A random version 4 UUID, not from UUID.randomUUID(), whose one shared SecureRandom queues every payment: the
     * ids made here (X-Request-ID, send record claims) are not secrets.
     */
    public static String randomUuid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return new UUID((random.nextLong() & ~0xF000L) | 0x4000L,
                (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L).toString();
    }

    /** The X-Request-ID of a queued message: the same for every delivery of it. */
    public static String forMessage(String jmsMessageId) {
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
