package eu.pisp.bpce.bench.tcp;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

/**
 * The ESB's reading side of the TCP benchmark, in a process of its own: reads both outcome queues over the broker's
 * TCP acceptor and publishes the count (the {@link Progress} file). For the outcomes it reads while the orchestrator
 * holds the window open, it keeps their latency from the send time in their JMSCorrelationID; once the window is
 * closed it prints {@code RESULT <outcomes/s> <p50 ms> <p99 ms> <max ms> <accepted> <failed> <early outcomes/s>
 * <outcomes>} for the window (and the rate of an early window, outcomes {@code bench.tcp.early-from} to
 * {@code bench.tcp.early-to}, 4,000 to 10,000: a freshly started JVM, still compiling) and exits.
 *
 * <p>Usage: {@code TcpOutcomeReader <broker url> <progress file>}; the broker account from BENCH_BROKER_USER and
 * BENCH_BROKER_PASSWORD.
 */
public final class TcpOutcomeReader {

    /** Room for the window's latencies (2,000,000: 11 minutes at 3,000 outcomes/s). */
    private final long[] latencies = new long[Integer.getInteger("bench.tcp.max-window", 2_000_000)];
    private final AtomicLong outcomes = new AtomicLong();
    private final AtomicLong inWindow = new AtomicLong();
    private final AtomicLong failedInWindow = new AtomicLong();
    private final CountDownLatch done = new CountDownLatch(1);
    private final Progress progress;
    private volatile long windowStart;
    private volatile long windowEnd;
    /** A second, early window (bench.tcp.early, 4000-10000): what a freshly started JVM does. */
    private final long earlyFrom = Long.getLong("bench.tcp.early-from", 4000);
    private final long earlyTo = Long.getLong("bench.tcp.early-to", 10000);
    private volatile long earlyStart;
    private volatile long earlyEnd;

    private TcpOutcomeReader(Progress progress) {
        this.progress = progress;
    }

    public static void main(String[] args) throws Exception {
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(args[0]);
        try (Progress progress = Progress.open(Path.of(args[1]));
             Connection connection = connect(factory)) {
            TcpOutcomeReader reader = new TcpOutcomeReader(progress);
            // One session per queue: each has its own delivery thread, as two listeners of an ESB would.
            for (String queue : new String[] {"pisp.payment-requests.accepted", "pisp.payment-requests.failed"}) {
                Session s = connection.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
                boolean failed = queue.endsWith(".failed");
                s.createConsumer(s.createQueue(queue)).setMessageListener(m -> reader.outcome(m, failed));
            }
            connection.start();
            System.out.println("READER ready");
            System.out.flush();
            reader.done.await();
            reader.print();
        }
        System.exit(0);
    }

    private void outcome(Message m, boolean failed) {
        long now = System.nanoTime();
        long n = outcomes.incrementAndGet();
        progress.outcomes(n);
        if (n == earlyFrom) {
            earlyStart = now;
        }
        if (n == earlyTo) {
            earlyEnd = now;
        }
        long window = progress.window();
        if (window == Progress.OPEN) {
            long i = inWindow.getAndIncrement();
            if (i == 0) {
                windowStart = now;
            }
            if (i < latencies.length) {
                latencies[(int) i] = now - sentAt(m, now);
                windowEnd = now;
            }
            if (failed) {
                failedInWindow.incrementAndGet();
            }
        } else if (window == Progress.CLOSED && done.getCount() > 0) {
            done.countDown();
        }
    }

    private static long sentAt(Message m, long now) {
        try {
            String c = m.getJMSCorrelationID();
            return c == null ? now : Long.parseLong(c.substring(c.lastIndexOf('-') + 1));
        } catch (JMSException | RuntimeException e) {
            return now;
        }
    }

    private void print() {
        int n = (int) Math.min(inWindow.get(), latencies.length);
        if (n < 2) {
            System.out.println("RESULT none: " + n + " outcomes in the window");
            System.out.flush();
            return;
        }
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        double seconds = (windowEnd - windowStart) / 1e9;
        double early = earlyEnd > earlyStart && earlyStart > 0 ? (earlyTo - earlyFrom) / ((earlyEnd - earlyStart) / 1e9)
                : Double.NaN;
        // n - 1 intervals between the window's first and last outcome
        System.out.printf(Locale.ROOT, "RESULT %.1f %.1f %.1f %.1f %d %d %.1f %d%n", (n - 1) / seconds,
                sorted[(int) (n * 0.50)] / 1e6, sorted[(int) Math.min(n - 1, n * 0.99)] / 1e6,
                sorted[n - 1] / 1e6, n - failedInWindow.get(), failedInWindow.get(), early, n);
        System.out.flush();
    }

    /** A connection with the account of BENCH_BROKER_USER / BENCH_BROKER_PASSWORD, retried while the broker starts. */
    static Connection connect(ActiveMQConnectionFactory factory) throws Exception {
        String user = System.getenv("BENCH_BROKER_USER");
        String password = System.getenv("BENCH_BROKER_PASSWORD");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try {
                return factory.createConnection(user, password);
            } catch (JMSException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }
}
