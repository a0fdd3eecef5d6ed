package eu.pisp.bpce.broker;

import jakarta.jms.JMSException;
import org.apache.activemq.artemis.jms.client.ActiveMQConnection;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

/** Artemis' connection factory, with every connection it makes reporting its reconnections to one watch. */
public final class BrokerConnectionFactory extends ActiveMQConnectionFactory {

    private static final long serialVersionUID = 1L;

    private final transient BrokerConnectionWatch watch;

    public BrokerConnectionFactory(String url, BrokerConnectionWatch watch) {
        super(url);
        this.watch = watch;
    }

    @Override
    protected synchronized ActiveMQConnection createConnectionInternal(String username, String password,
                                                                       boolean isXA, int type) throws JMSException {
        ActiveMQConnection connection;
        try {
            connection = super.createConnectionInternal(username, password, isXA, type);
        } catch (JMSException e) {
            if (watch != null) {
                watch.connectFailed(); // the broker was away before any connection could see it go
            }
            throw e;
        }
        if (watch != null) {
            watch.connected();
            connection.setFailoverListener(watch);
        }
        return connection;
    }
}
