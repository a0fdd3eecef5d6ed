package eu.pisp.bpce.broker;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.TransportConfiguration;
import org.apache.activemq.artemis.core.remoting.impl.netty.TransportConstants;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ActiveMQ Artemis broker inside this process, with a persistent journal, an in-VM acceptor for the module's own
 * consumers and a TCP acceptor for the rest of the ESB. Registered as a Camel service so that it stops after the routes.
 *
 * <p>Security ({@link BrokerSecurity}) is on unless said otherwise: the TCP acceptor wants the configured account and
 * grants it its roles; the in-VM acceptor, reachable only from this process, is trusted.
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
    private final BrokerSecurity security;
    private final List<String> requestQueues;
    private final List<String> outcomeQueues;
    private volatile EmbeddedActiveMQ server;

    /**
     * @param dataDir                   {@code pisp.broker.data-dir}: journal, bindings, paging and large messages
     * @param acceptorUrl               {@code pisp.broker.url}: the TCP acceptor other ESB components send to
     * @param maxDeliveryAttempts       {@code pisp.broker.max-delivery-attempts}: then the message goes to {@code DLQ}
     * @param redeliveryDelayMs         {@code pisp.broker.redelivery-delay-ms}: pause before a rolled back message is redelivered
     * @param journalBufferTimeoutNanos {@code pisp.broker.journal-buffer-timeout-ns}: how long the journal gathers
     *                                  writes before one sync (Artemis' NIO default is 3,333,333)
     * @param security                  who may connect over TCP, and with which roles
     * @param requestQueues             the queues senders may send to (payment requests, and any other request queue)
     * @param outcomeQueues             the queues readers may read
     */
    public EmbeddedBroker(Path dataDir, String acceptorUrl, int maxDeliveryAttempts, long redeliveryDelayMs,
                          int journalBufferTimeoutNanos, BrokerSecurity security, List<String> requestQueues,
                          List<String> outcomeQueues) {
        this.dataDir = dataDir;
        this.acceptorUrl = acceptorUrl;
        this.maxDeliveryAttempts = maxDeliveryAttempts;
        this.redeliveryDelayMs = redeliveryDelayMs;
        this.journalBufferTimeoutNanos = journalBufferTimeoutNanos;
        this.security = security;
        this.requestQueues = List.copyOf(requestQueues);
        this.outcomeQueues = List.copyOf(outcomeQueues);
        security.check(acceptorUrl);
    }

    @Override
    protected void doStart() throws Exception {
        Configuration config = new ConfigurationImpl()
                .setName("pisp-embedded")
                .setPersistenceEnabled(true)
                .setSecurityEnabled(security.enabled())
                .setJournalType(JournalType.NIO)
                .setJournalBufferTimeout_NIO(journalBufferTimeoutNanos)
                .setJournalDirectory(dataDir.resolve("journal").toString())
                .setBindingsDirectory(dataDir.resolve("bindings").toString())
                .setPagingDirectory(dataDir.resolve("paging").toString())
                .setLargeMessagesDirectory(dataDir.resolve("large-messages").toString())
                .setJMXManagementEnabled(false)
                .addAcceptorConfiguration("in-vm", IN_VM_URL)
                .addAcceptorConfiguration("tcp", acceptorUrl);
        if (security.tls() != null) {
            // Set as parameters, not in the URL: the keystore password never appears in a logged URL.
            TransportConfiguration tcp = config.getAcceptorConfigurations().stream()
                    .filter(t -> "tcp".equals(t.getName())).findFirst().orElseThrow();
            Map<String, Object> params = new HashMap<>(tcp.getParams());
            params.put(TransportConstants.SSL_ENABLED_PROP_NAME, true);
            params.put(TransportConstants.KEYSTORE_PATH_PROP_NAME, security.tls().keystorePath());
            params.put(TransportConstants.KEYSTORE_PASSWORD_PROP_NAME, new String(security.tls().keystorePassword()));
            params.put(TransportConstants.KEYSTORE_TYPE_PROP_NAME, "PKCS12");
            params.put(TransportConstants.ENABLED_PROTOCOLS_PROP_NAME, "TLSv1.3,TLSv1.2");
            config.getAcceptorConfigurations().remove(tcp);
            config.addAcceptorConfiguration(new TransportConfiguration(tcp.getFactoryClassName(), params, "tcp"));
        }
        // The module's queues exist from the start: ESB clients then need no right to create them.
        java.util.stream.Stream.of(requestQueues, List.of("DLQ", "ExpiryQueue"), outcomeQueues)
                .flatMap(List::stream).distinct()
                .forEach(q -> config.addQueueConfiguration(org.apache.activemq.artemis.api.core.QueueConfiguration.of(q)
                        .setAddress(q).setRoutingType(org.apache.activemq.artemis.api.core.RoutingType.ANYCAST)));
        if (security.enabled()) {
            // Artemis caches an authentication by user and password, whatever the transport: the trusted in-VM
            // connections (no credentials) would then let a TCP client without credentials in. No cache: each
            // connection is judged on its own (connections are long-lived; the check is cheap).
            config.setAuthenticationCacheSize(0);
            BrokerSecurity.permissions(requestQueues, outcomeQueues, List.of("DLQ", "ExpiryQueue"))
                    .forEach(config::putSecurityRoles);
        }
        config.addAddressSetting("#", new AddressSettings()
                .setDeadLetterAddress(SimpleString.of("DLQ"))
                .setExpiryAddress(SimpleString.of("ExpiryQueue"))
                .setMaxDeliveryAttempts(maxDeliveryAttempts)
                .setRedeliveryDelay(redeliveryDelayMs)
                .setAutoCreateDeadLetterResources(false)
                .setAutoCreateQueues(true)
                .setAutoCreateAddresses(true));
        EmbeddedActiveMQ embedded = new EmbeddedActiveMQ().setConfiguration(config);
        if (security.enabled()) {
            embedded.setSecurityManager(security.manager());
        }
        embedded.start();
        server = embedded;
        String url = BrokerSecurity.withoutParameters(acceptorUrl);
        if (security.enabled()) {
            LOG.info("Embedded Artemis broker started: journal in {}, accepting on {}{} for user {} (roles {})",
                    dataDir, url, security.tls() != null ? " with TLS" : "", security.user(), security.roles());
        } else {
            LOG.warn("Embedded Artemis broker started WITHOUT SECURITY (pisp.broker.security.enabled=false): every "
                    + "local process may send payments to {} and read the outcome queues, full IBANs included. Demo "
                    + "only.", url);
        }
    }

    /** True while the broker runs and is active (for the readiness check). */
    public boolean active() {
        EmbeddedActiveMQ s = server;
        ActiveMQServer active = s == null ? null : s.getActiveMQServer();
        return active != null && active.isActive();
    }

    /** Messages in a queue (waiting and in delivery), or -1 when the broker does not run or has no such queue. */
    public long messageCount(String queue) {
        EmbeddedActiveMQ s = server;
        ActiveMQServer active = s == null ? null : s.getActiveMQServer();
        Queue q = active == null ? null : active.locateQueue(SimpleString.of(queue));
        return q == null ? -1 : q.getMessageCount();
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
