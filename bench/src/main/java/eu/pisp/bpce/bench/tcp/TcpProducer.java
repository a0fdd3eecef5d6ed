package eu.pisp.bpce.bench.tcp;

import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import eu.pisp.bpce.sim.SamplePayments;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

/**
 * The ESB's side of the TCP benchmark, in a process of its own: persistent payment requests (1.4 KB of STET JSON,
 * one establishment) sent to {@code pisp.payment-requests} over the broker's TCP acceptor, as many as it takes to
 * keep a backlog of {@code bench.tcp.backlog} (1,000) in front of the module, so that the module, not the sender,
 * sets the pace; it holds while the orchestrator pauses it (interleaved runs). Each message's JMSCorrelationID carries its send time ({@code B-<n>-<System.nanoTime()>}: one clock
 * for all processes on Linux), which the outcome reader turns into a latency.
 *
 * <p>Usage: {@code TcpProducer <broker url> <progress file>}; the broker account from BENCH_BROKER_USER and
 * BENCH_BROKER_PASSWORD. Durable sends do not wait for the broker's answer ({@code -Dbench.tcp.sync-send=true} to
 * wait for each).
 */
public final class TcpProducer {

    private TcpProducer() {
    }

    public static void main(String[] args) throws Exception {
        String cdetab = System.getProperty("bench.tcp.cdetab", "13807");
        int backlog = Integer.getInteger("bench.tcp.backlog", 1000);
        String prefix = System.getProperty("bench.tcp.id-prefix", "T");
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(args[0]);
        factory.setBlockOnDurableSend(Boolean.getBoolean("bench.tcp.sync-send"));
        try (Progress progress = Progress.open(Path.of(args[1]));
             Connection connection = TcpOutcomeReader.connect(factory)) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = session.createProducer(session.createQueue("pisp.payment-requests"));
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (long n = 1; ; n++) {
                while (progress.paused() || n - progress.outcomes() > backlog) {
                    LockSupport.parkNanos(200_000);
                }
                String id = prefix + "-" + n;
                TextMessage m = session.createTextMessage(SamplePayments.json(id, SamplePayments.iban(cdetab, n)));
                m.setJMSCorrelationID("B-" + n + "-" + System.nanoTime());
                producer.send(m);
                progress.sent(n);
            }
        }
    }
}
