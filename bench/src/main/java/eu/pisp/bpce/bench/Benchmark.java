package eu.pisp.bpce.bench;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.management.OperatingSystemMXBean;
import eu.pisp.bpce.PispApplication;
import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.sim.SamplePayments;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.Main;

/**
 * Measures the module against the project's bank simulator on 127.0.0.1, in one JVM, side by side with a hand-written
 * {@link HttpURLConnection} client that holds one token per establishment (the floor of what Java can do here).
 * Phases (each after a warm-up): direct:initiate-payment, the plain-JDK baseline, end to end through the embedded
 * broker, end to end with a slow (50 ms) bank, and a short token life (refresh-ahead). Prints one table.
 */
public final class Benchmark {

    private static final String[] ESTABLISHMENTS = {"13807", "17515", "10207", "16807", "12579"};
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Duration measure = Duration.ofSeconds(Long.getLong("bench.seconds", 15));
    private final Duration warmup = Duration.ofSeconds(Long.getLong("bench.warmup", 8));
    private final int concurrency = Integer.getInteger("bench.concurrency", 16);
    private final List<String[]> rows = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private BankSimulator bank;
    private Main module;
    private String brokerUrl;

    public static void main(String[] args) throws Exception {
        new Benchmark().run(args.length == 0 ? "all" : args[0]);
        System.exit(0);
    }

    private void run(String which) throws Exception {
        bank = BankSimulator.start(0).keepReceived(0);
        Path data = Files.createTempDirectory("pisp-bench");
        int brokerPort;
        try (ServerSocket s = new ServerSocket(0)) {
            brokerPort = s.getLocalPort();
        }
        brokerUrl = "tcp://127.0.0.1:" + brokerPort;
        Map<String, String> props = new HashMap<>();
        props.put("pisp.client-id", "PSDFR-ACPR-12345");
        props.put("pisp.aspsp.base-url-template", bank.baseUrlTemplate());
        props.put("pisp.broker.url", brokerUrl);
        props.put("pisp.broker.data-dir", data.resolve("broker").toString());
        props.put("pisp.send-record.file", data.resolve("send-record.log").toString());
        props.put("pisp.concurrent-consumers", System.getProperty("bench.consumers", "32"));
        // Per-payment INFO lines are an audit trail in production; here they would measure the console.
        props.put("camel.main.routes-include-pattern", "file:routes/*.yaml");
        module = PispApplication.create(props);
        module.start();
        ProducerTemplate template = module.getCamelContext().createProducerTemplate();
        System.out.printf("bench: %d cores, -Xmx%d MB, concurrency %d, %d establishments, %s per phase%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, concurrency,
                ESTABLISHMENTS.length, measure);
        long heapStart = usedHeapAfterGc();

        if (which.equals("all") || which.contains("direct")) {
            closedLoop("module via direct:initiate-payment", () -> direct(template), warmup);
            closedLoop("hand-written HttpURLConnection baseline", new BaselineClient(bank)::send, warmup);
            closedLoop("module via direct:initiate-payment (again)", () -> direct(template), Duration.ZERO);
        }
        if (which.equals("all") || which.contains("e2e")) {
            endToEnd("module end to end, embedded broker, persistent", 0);
            endToEnd("module end to end, bank at 50 ms", 50);
        }
        if (which.equals("all") || which.contains("expiry")) {
            bank.expiresIn(4L);
            module.getCamelContext().getRegistry().lookupByNameAndType("tokenCache",
                    eu.pisp.bpce.token.TokenCache.class).invalidateAll();
            closedLoop("direct, expires_in=4 s (margin clamped, refresh-ahead)", () -> direct(template),
                    Duration.ZERO);
            bank.expiresIn(3600L);
        }
        long heapEnd = usedHeapAfterGc();

        System.out.println();
        System.out.printf("%-58s %9s %8s %8s %8s %12s %10s%n", "phase", "msg/s", "p50 ms", "p99 ms", "max ms",
                "tokens/est", "CPU us/msg");
        for (String[] r : rows) {
            System.out.printf("%-58s %9s %8s %8s %8s %12s %10s%n", (Object[]) r);
        }
        System.out.printf("%nused heap after GC: %d MB at start, %d MB at end (max %d MB)%n", heapStart >> 20,
                heapEnd >> 20, Runtime.getRuntime().maxMemory() >> 20);
        module.stop();
        bank.stop();
    }

    private boolean direct(ProducerTemplate template) {
        long n = ids.incrementAndGet();
        String body = SamplePayments.json("B-" + n, SamplePayments.iban(ESTABLISHMENTS[(int) (n % 5)], n));
        Exchange out = template.request("direct:initiate-payment", e -> e.getMessage().setBody(body));
        return "ACCEPTED".equals(out.getMessage().getHeader("pispOutcome"));
    }

    @FunctionalInterface
    interface Call {
        boolean call() throws Exception;
    }

    /** {@code concurrency} threads calling as fast as they can; latency of each call. */
    private void closedLoop(String name, Call call, Duration warm) throws Exception {
        if (!warm.isZero()) {
            runFor(call, warm, null);
        }
        Map<String, Integer> tokensBefore = tokenCounts();
        long cpu0 = OS.getProcessCpuTime();
        long[][] latencies = new long[concurrency][];
        long t0 = System.nanoTime();
        int[] counts = runFor(call, measure, latencies);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long cpu = OS.getProcessCpuTime() - cpu0;
        report(name, counts, latencies, seconds, cpu, tokensBefore);
    }

    private int[] runFor(Call call, Duration d, long[][] latencies) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        int[] ok = new int[2];
        AtomicInteger good = new AtomicInteger();
        AtomicInteger bad = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(concurrency);
        for (int t = 0; t < concurrency; t++) {
            int me = t;
            new Thread(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                try {
                    while (!stop.get()) {
                        long s = System.nanoTime();
                        boolean fine;
                        try {
                            fine = call.call();
                        } catch (Exception e) {
                            fine = false;
                        }
                        long l = System.nanoTime() - s;
                        (fine ? good : bad).incrementAndGet();
                        if (n == lat.length) {
                            lat = Arrays.copyOf(lat, n * 2);
                        }
                        lat[n++] = l;
                    }
                } finally {
                    if (latencies != null) {
                        latencies[me] = Arrays.copyOf(lat, n);
                    }
                    done.countDown();
                }
            }, "bench-" + t).start();
        }
        Thread.sleep(d.toMillis());
        stop.set(true);
        done.await();
        ok[0] = good.get();
        ok[1] = bad.get();
        return ok;
    }

    /** Persistent messages queued as fast as the broker takes them; outcomes read back; latency send -> outcome. */
    private void endToEnd(String name, long bankLatencyMs) throws Exception {
        bank.paymentLatency(bankLatencyMs);
        // The load generator shares the JVM (and the 2 cores) with the module: it talks to the broker in-VM so that
        // its own loopback TCP traffic is not billed to the module. Other ESB components would use the TCP acceptor.
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(System.getProperty("bench.client-url",
                "vm://0"));
        factory.setBlockOnDurableSend(false);
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        try (Connection c = factory.createConnection()) {
            Session ps = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = ps.createProducer(ps.createQueue("pisp.payment-requests"));
            Session cs = c.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
            MessageConsumer accepted = cs.createConsumer(cs.createQueue("pisp.payment-requests.accepted"));
            MessageConsumer failed = cs.createConsumer(cs.createQueue("pisp.payment-requests.failed"));
            AtomicInteger good = new AtomicInteger();
            AtomicInteger bad = new AtomicInteger();
            List<Long> lat = java.util.Collections.synchronizedList(new ArrayList<>());
            accepted.setMessageListener(m -> outcome(m, sentAt, lat, good));
            failed.setMessageListener(m -> outcome(m, sentAt, lat, bad));
            c.start();
            // Keep a bounded backlog in the queue so that the module, not the sender, sets the pace.
            int backlog = Integer.getInteger("bench.backlog", 1000);
            long warmEnd = System.nanoTime() + warmup.toNanos();
            long measureStart = 0;
            long cpu0 = 0;
            int goodAtStart = 0;
            Map<String, Integer> tokensBefore = null;
            List<Long> measured = null;
            long end = Long.MAX_VALUE;
            while (System.nanoTime() < end) {
                if (measureStart == 0 && System.nanoTime() > warmEnd) {
                    measureStart = System.nanoTime();
                    end = measureStart + measure.toNanos();
                    cpu0 = OS.getProcessCpuTime();
                    goodAtStart = good.get() + bad.get();
                    tokensBefore = tokenCounts();
                    lat.clear();
                }
                if (sentAt.size() < backlog) {
                    String id = "E-" + ids.incrementAndGet();
                    Message m = ps.createTextMessage(SamplePayments.json(id,
                            SamplePayments.iban(ESTABLISHMENTS[(int) (ids.get() % 5)], ids.get())));
                    m.setJMSCorrelationID(id);
                    sentAt.put(id, System.nanoTime());
                    producer.send(m);
                } else {
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
            }
            double seconds = (System.nanoTime() - measureStart) / 1e9;
            long cpu = OS.getProcessCpuTime() - cpu0;
            int done = good.get() + bad.get() - goodAtStart;
            synchronized (lat) {
                measured = new ArrayList<>(lat);
            }
            long[] all = measured.stream().mapToLong(Long::longValue).toArray();
            report(name, new int[] {done - bad.get(), bad.get()}, new long[][] {all}, seconds, cpu, tokensBefore);
            // drain what is left before the next phase
            long drainEnd = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!sentAt.isEmpty() && System.nanoTime() < drainEnd) {
                Thread.sleep(50);
            }
        }
        bank.paymentLatency(0);
    }

    private static void outcome(Message m, Map<String, Long> sentAt, List<Long> lat, AtomicInteger counter) {
        try {
            Long s = sentAt.remove(m.getJMSCorrelationID());
            if (s != null) {
                lat.add(System.nanoTime() - s);
            }
            counter.incrementAndGet();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void report(String name, int[] counts, long[][] latencies, double seconds, long cpuNanos,
                        Map<String, Integer> tokensBefore) {
        long[] all = Arrays.stream(latencies).filter(a -> a != null).flatMapToLong(Arrays::stream).sorted().toArray();
        int n = counts[0] + counts[1];
        Map<String, Integer> tokensAfter = tokenCounts();
        StringBuilder tokens = new StringBuilder();
        for (String e : ESTABLISHMENTS) {
            int d = tokensAfter.getOrDefault(e, 0) - tokensBefore.getOrDefault(e, 0);
            tokens.append(tokens.length() == 0 ? "" : "/").append(d);
        }
        rows.add(new String[] {name + (counts[1] > 0 ? " (" + counts[1] + " FAILED)" : ""),
                String.format(Locale.ROOT, "%.0f", n / seconds), ms(pct(all, 0.50)), ms(pct(all, 0.99)),
                ms(all.length == 0 ? 0 : all[all.length - 1]), tokens.toString(),
                String.format(Locale.ROOT, "%.0f", n == 0 ? 0 : cpuNanos / 1e3 / n)});
        System.out.printf("  %s: %d ok, %d failed in %.1f s%n", name, counts[0], counts[1], seconds);
    }

    private Map<String, Integer> tokenCounts() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String e : ESTABLISHMENTS) {
            m.put(e, bank.tokenRequests(e));
        }
        return m;
    }

    private static long pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))];
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * The floor: plain {@link HttpURLConnection} (keep-alive), one token per establishment fetched once, the same
     * payload and headers as the module sends.
     */
    static final class BaselineClient {
        private final BankSimulator bank;
        private final Map<String, String> tokens = new ConcurrentHashMap<>();
        private final AtomicLong ids = new AtomicLong();

        BaselineClient(BankSimulator bank) {
            this.bank = bank;
        }

        boolean send() throws Exception {
            long n = ids.incrementAndGet();
            String cdetab = ESTABLISHMENTS[(int) (n % 5)];
            String token = tokens.computeIfAbsent(cdetab, this::token);
            byte[] body = SamplePayments.json("H-" + n, SamplePayments.iban(cdetab, n)).getBytes(StandardCharsets.UTF_8);
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + bank.port() + "/" + cdetab
                    + "/stet/psd2/v1/payment-requests").toURL().openConnection();
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setRequestProperty("Authorization", "Bearer " + token);
            c.setRequestProperty("X-Request-ID", UUID.randomUUID().toString());
            c.setRequestProperty("Content-Type", "application/json");
            c.setRequestProperty("Accept", "application/json");
            c.setFixedLengthStreamingMode(body.length);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                in.readAllBytes();
            }
            return status == 201;
        }

        private String token(String cdetab) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + bank.port() + "/" + cdetab
                        + "/stet/psd2/oauth/token").toURL().openConnection();
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
                try (OutputStream out = c.getOutputStream()) {
                    out.write("grant_type=client_credentials&client_id=PSDFR-ACPR-12345&scope=pisp"
                            .getBytes(StandardCharsets.UTF_8));
                }
                String answer = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int start = answer.indexOf("\"access_token\":\"") + 16;
                return answer.substring(start, answer.indexOf('"', start));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
