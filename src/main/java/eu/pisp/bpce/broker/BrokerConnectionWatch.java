package eu.pisp.bpce.broker;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.activemq.artemis.api.core.client.FailoverEventListener;
import org.apache.activemq.artemis.api.core.client.FailoverEventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says once that the broker is away and once that it is back, however many connections (consumers, producers) see
 * it: a broker restart at 3 a.m. is two log lines, not one per connection or per message.
 */
public final class BrokerConnectionWatch implements FailoverEventListener {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerConnectionWatch.class);

    private final String url;
    private final AtomicInteger connectionsDown = new AtomicInteger();
    private final AtomicLong downSince = new AtomicLong();
    /** The last attempt to open a connection failed (no connection existed to report a failover). */
    private volatile boolean unreachable;

    public BrokerConnectionWatch(String url) {
        // Logged without its parameters: an Artemis URL may carry a user and password.
        this.url = url.replaceAll("\\?[^,)]*", "");
    }

    @Override
    public void failoverEvent(FailoverEventType event) {
        switch (event) {
            case FAILURE_DETECTED -> {
                if (connectionsDown.getAndIncrement() == 0) {
                    downSince.set(System.nanoTime());
                    LOG.warn("Lost the connection to the broker at {}: reconnecting (pisp.broker.reconnect-attempts); "
                            + "payments in flight roll back and come again, the send record keeps them from being "
                            + "sent twice", url);
                }
            }
            case FAILOVER_COMPLETED -> back("Reconnected to the broker at {} after {} ms; consuming again");
            case FAILOVER_FAILED -> back("Gave up reconnecting to the broker at {} after {} ms: the consumers "
                    + "start over with new connections");
        }
    }

    private void back(String message) {
        if (connectionsDown.get() > 0 && connectionsDown.decrementAndGet() == 0) {
            LOG.warn(message, url, (System.nanoTime() - downSince.get()) / 1_000_000);
        }
    }

    /** A new connection could not be opened. */
    void connectFailed() {
        unreachable = true;
    }

    /** A new connection was opened. */
    void connected() {
        unreachable = false;
    }

    /** True while a connection is waiting to reconnect, or the last one could not be opened (the health check). */
    public boolean down() {
        return connectionsDown.get() > 0 || unreachable;
    }
}
