package eu.pisp.bpce.broker;

import java.nio.file.Path;

import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ActiveMQ Artemis broker inside this process, with a persistent journal, an in-VM acceptor for the module's own
 * consumers and a TCP acceptor for the rest of the ESB. Registered as a Camel service so that it stops after the routes.
 */
public final class EmbeddedBroker extends ServiceSupport {

    /** What the module itself connects to: in-VM, so its messages do not cross loopback twice. */
    public static final String IN_VM_URL = "vm://0";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);

    private final Path dataDir;
    private final String acceptorUrl;
    private final int maxDeliveryAttempts;
    private final long redeliveryDelayMs;
    private final int journalBufferTimeoutNanos;
    private EmbeddedActiveMQ server;

    /**
     * @param dataDir                   {@code pisp.broker.data-dir}: journal, bindings, paging and large messages
     * @param acceptorUrl               {@code pisp.broker.url}: the TCP acceptor other ESB components send to
     * @param maxDeliveryAttempts       {@code pisp.broker.max-delivery-attempts}: then the message goes to {@code DLQ}
     * @param redeliveryDelayMs         {@code pisp.broker.redelivery-delay-ms}: pause before a rolled back message is redelivered
     * @param journalBufferTimeoutNanos {@code pisp.broker.journal-buffer-timeout-ns}: how long the journal gathers
     *                                  writes before one sync (Artemis' NIO default is 3,333,333)
     */
    public EmbeddedBroker(Path dataDir, String acceptorUrl, int maxDeliveryAttempts, long redeliveryDelayMs,
                          int journalBufferTimeoutNanos) {
        this.dataDir = dataDir;
        this.acceptorUrl = acceptorUrl;
        this.maxDeliveryAttempts = maxDeliveryAttempts;
        this.redeliveryDelayMs = redeliveryDelayMs;
        this.journalBufferTimeoutNanos = journalBufferTimeoutNanos;
    }

    @Override
    protected void doStart() throws Exception {
        Configuration config = new ConfigurationImpl()
                .setName("pisp-embedded")
                .setPersistenceEnabled(true)
                .setSecurityEnabled(false)
                .setJournalType(JournalType.NIO)
                .setJournalBufferTimeout_NIO(journalBufferTimeoutNanos)
                .setJournalDirectory(dataDir.resolve("journal").toString())
                .setBindingsDirectory(dataDir.resolve("bindings").toString())
                .setPagingDirectory(dataDir.resolve("paging").toString())
                .setLargeMessagesDirectory(dataDir.resolve("large-messages").toString())
                .setJMXManagementEnabled(false)
                .addAcceptorConfiguration("in-vm", IN_VM_URL)
                .addAcceptorConfiguration("tcp", acceptorUrl);
        config.addAddressSetting("#", new AddressSettings()
                .setDeadLetterAddress(SimpleString.of("DLQ"))
                .setExpiryAddress(SimpleString.of("ExpiryQueue"))
                .setMaxDeliveryAttempts(maxDeliveryAttempts)
                .setRedeliveryDelay(redeliveryDelayMs)
                .setAutoCreateDeadLetterResources(false)
                .setAutoCreateQueues(true)
                .setAutoCreateAddresses(true));
        server = new EmbeddedActiveMQ().setConfiguration(config);
        server.start();
        LOG.info("Embedded Artemis broker started: journal in {}, accepting on {}", dataDir, acceptorUrl);
    }

    @Override
    protected void doStop() throws Exception {
        if (server != null) {
            server.stop();
            server = null;
            LOG.info("Embedded Artemis broker stopped");
        }
    }

    /**
     * Delivers now the scheduled message of a queue whose property {@code name} equals {@code value} (a tracked
     * payment's next check). False when there is none, or the broker is not running.
     */
    public boolean deliverScheduledNow(String queue, String name, String value) {
        EmbeddedActiveMQ s = server;
        if (s == null) {
            return false;
        }
        org.apache.activemq.artemis.core.server.Queue q = s.getActiveMQServer()
                .locateQueue(org.apache.activemq.artemis.api.core.SimpleString.of(queue));
        if (q == null) {
            return false;
        }
        for (org.apache.activemq.artemis.core.server.MessageReference ref : q.getScheduledMessages()) {
            Object v = ref.getMessage().getObjectProperty(name);
            if (v != null && value.equals(v.toString())) {
                try {
                    q.deliverScheduledMessage(ref.getMessageID());
                    return true;
                } catch (org.apache.activemq.artemis.api.core.ActiveMQException e) {
                    return false;
                }
            }
        }
        return false;
    }
}
