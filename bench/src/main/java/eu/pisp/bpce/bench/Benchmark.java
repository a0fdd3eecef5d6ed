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

    private final Duration measure = Duration.ofSeconds(Long.getLong("bench.seconds", 15));
    /** Warm-up of each load before it is measured: the C2 compiler needs tens of seconds on 2 busy cores. */
    private final Duration warmup = Duration.ofSeconds(Long.getLong("bench.warmup", 90));
    private final int concurrency = Integer.getInteger("bench.concurrency", 16);
    private final List<String[]> rows = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final List<String> cpuRows = new ArrayList<>();
    /** CPU of the load threads of runFor (they end with it, so their time is added here). */
    private final AtomicLong callerCpu = new AtomicLong();
    private static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final List<String> notes = new ArrayList<>();
    private BankSimulator bank;
    private Main module;
    /** The module's configuration overrides, kept to restart it on another send-record store. */
    private Map<String, String> moduleProps;
    private String brokerUrl;

    public static void main(String[] args) throws Exception {
        new Benchmark().run(args.length == 0 ? "all" : args[0]);
        System.exit(0);
    }

    private void run(String which) throws Exception {
        // The simulator keeps nothing per payment: the heap figures are the module's (and the broker's).
        bank = BankSimulator.start(0).keepReceived(0).rememberPayments(false);
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
        // As in production: broker security on (the load generator talks in-VM, which the broker trusts), the
        // management server up on a port of its own. The simulator checks no signature.
        props.put("pisp.signature.enabled", "false");
        props.put("pisp.broker.user", "bench");
        props.put("pisp.broker.password", UUID.randomUUID().toString());
        try (ServerSocket s = new ServerSocket(0)) {
            props.put("pisp.management.port", String.valueOf(s.getLocalPort()));
        }
        // Per-payment INFO lines are an audit trail in production; here they would measure the console.
        props.put("camel.main.routes-include-pattern", "file:routes/*.yaml");
        if (which.equals("tracking")) {
            // Each tracked payment (its customer never answers) is read again every second, as hard as tracking goes.
            props.put("pisp.tracking.schedule", "1s");
            // The bank keeps the tracked payments only (the measured ones would push them out of its store: 404).
            bank.keepPaymentRequestsOnly(pid -> pid.startsWith("TRACKED-"));
        }
        moduleProps = props;
        if (which.equals("metrics-one")) {
            // One configuration per JVM (bench/run.sh metrics alternates the JVMs): a module stopped and started
            // again in one JVM stays reachable (Artemis' in-VM client threads), and its send record fills the heap.
            boolean on = !"off".equals(System.getProperty("bench.metrics", "on"));
            props.put("pisp.metrics.enabled", String.valueOf(on));
            module = PispApplication.create(props);
            module.start();
            metricsPhases(on);
            printTables(0, 0);
            module.stop();
            bank.stop();
            return;
        }
        if (which.equals("jdbc")) {
            // The module is started (twice per store) by the phase itself.
            sendRecordStores();
            printTables(0, 0);
            bank.stop();
            return;
        }
        module = PispApplication.create(props);
        module.start();
        ProducerTemplate template = module.getCamelContext().createProducerTemplate();
        System.out.printf("bench: %d cores, -Xmx%d MB, concurrency %d, %d establishments, %s per phase%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, concurrency,
                ESTABLISHMENTS.length, measure);
        long heapStart = usedHeapAfterGc();

        if (which.equals("all") || which.contains("direct")) {
            sideBySide(template);
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
        if (which.contains("heap")) {
            heapOverTime(template);
        }
        if (which.equals("tracking")) {
            trackingBesideInitiation(template);
        }
        long heapEnd = usedHeapAfterGc();
        printTables(heapStart, heapEnd);
        module.stop();
        bank.stop();
    }

    /**
     * Does tracking starve initiation? End-to-end initiation alone, then with 500 payments being tracked (each read
     * every second: far more than the default schedule), alternating: the tracking consumers are stopped for the
     * "alone" rounds. The first pair is a warm-up and not counted.
     */
    private void trackingBesideInitiation(ProducerTemplate template) throws Exception {
        int tracked = Integer.getInteger("bench.tracked", 500);
        for (int i = 0; i < tracked; i++) {
            String body = SamplePayments.json("TRACKED-" + i, SamplePayments.iban(ESTABLISHMENTS[i % 5], i));
            Exchange paid = template.request("direct:initiate-payment", e -> e.getMessage().setBody(body));
            template.send("direct:track-payment-request", e -> e.getMessage().setBody(paid.getMessage().getBody()));
        }
        org.apache.camel.spi.RouteController routes = module.getCamelContext().getRouteController();
        List<Double> ratios = new ArrayList<>();
        for (int round = 0; round <= 2; round++) {
            String tag = round == 0 ? " (warm-up)" : " round " + round;
            routes.stopRoute("check-tracked-payment");
            int rowsBefore = rows.size();
            endToEnd("initiation alone" + tag, 0, round == 0 ? warmup : Duration.ofSeconds(5));
            double alone = Double.parseDouble(rows.get(rowsBefore)[1]);
            routes.startRoute("check-tracked-payment");
            int readsBefore = bank.totalStatusReads();
            long t0 = System.nanoTime();
            endToEnd("initiation with " + tracked + " payments tracked" + tag, 0, Duration.ofSeconds(5));
            double readsPerSecond = (bank.totalStatusReads() - readsBefore) / ((System.nanoTime() - t0) / 1e9);
            double with = Double.parseDouble(rows.get(rowsBefore + 1)[1]);
            notes.add(String.format(Locale.ROOT, "tracking%s: %.0f status reads/s while initiating; initiation with "
                    + "tracking / alone = %.2f", tag, readsPerSecond, with / alone));
            if (round > 0) {
                ratios.add(with / alone);
            }
        }
        notes.add(String.format(Locale.ROOT, "tracking: initiation kept %s of its rate (rounds 1-2)",
                ratios.stream().map(r -> String.format(Locale.ROOT, "%.0f %%", 100 * r)).toList()));
    }

    private void printTables(long heapStart, long heapEnd) {
        System.out.println();
        System.out.printf("%-58s %9s %8s %8s %8s %12s %10s%n", "phase", "msg/s", "p50 ms", "p99 ms", "max ms",
                "tokens/est", "CPU us/msg");
        for (String[] r : rows) {
            System.out.printf("%-58s %9s %8s %8s %8s %12s %10s%n", (Object[]) r);
        }
        for (String note : notes.stream().distinct().toList()) {
            System.out.println(note);
        }
        System.out.println();
        System.out.println("Where the CPU goes, microseconds per message (thread CPU time by thread group; "
                + "'broker' includes JMS client threads; 'JVM' = process CPU not in a live Java thread: GC, JIT "
                + "compiler, pool threads that ended):");
        System.out.println(CpuSplit.header());
        for (String r : cpuRows) {
            System.out.println(r);
        }
        if (heapStart > 0) {
            System.out.printf("%nused heap after GC: %d MB at start, %d MB at end (max %d MB)%n", heapStart >> 20,
                    heapEnd >> 20, Runtime.getRuntime().maxMemory() >> 20);
        }
    }

    /**
     * The file store against the jdbc store (PostgreSQL at bench.jdbc.url, started by bench/run.sh with its default
     * durability: fsync and synchronous commit on), end to end, in alternating rounds, each a fresh start of the
     * module; then the claims per second the jdbc store takes by itself, per pool size.
     */
    private void sendRecordStores() throws Exception {
        String url = System.getProperty("bench.jdbc.url");
        if (url == null) {
            throw new IllegalStateException("bench.jdbc.url is not set: run bench/run.sh jdbc");
        }
        Map<String, String> jdbc = Map.of("pisp.send-record.store", "jdbc", "pisp.send-record.jdbc.url", url,
                "pisp.send-record.jdbc.user", System.getProperty("bench.jdbc.user", ""),
                "pisp.send-record.jdbc.password", System.getProperty("bench.jdbc.password", ""),
                "pisp.send-record.jdbc.pool-size", System.getProperty("bench.jdbc.pool-size", "2"),
                "pisp.send-record.jdbc.claim-linger-us", System.getProperty("bench.jdbc.linger-us", "1000"));
        int rounds = Integer.getInteger("bench.rounds", 3);
        Duration firstWarmup = warmup;
        List<Double> fileRates = new ArrayList<>();
        List<Double> jdbcRates = new ArrayList<>();
        // Round 0 is a warm-up of both, not counted: a first measured round still ran on code the JIT had not
        // finished compiling (the file store, measured first, came out 20-30 % low in every run).
        for (int r = 0; r <= rounds; r++) {
            for (boolean onJdbc : new boolean[] {false, true}) {
                Map<String, String> props = new HashMap<>(moduleProps);
                if (onJdbc) {
                    props.putAll(jdbc);
                }
                module = PispApplication.create(props);
                module.start();
                // The JIT keeps what it compiled across restarts in this JVM: later rounds warm up for less.
                int rowsBefore = rows.size();
                int notesBefore = notes.size();
                endToEnd("end to end, " + (onJdbc ? "jdbc" : "file") + " store, round " + r, 0,
                        r == 0 && !onJdbc ? firstWarmup : Duration.ofSeconds(20));
                if (onJdbc && r > 0) {
                    long[] counts = module.getCamelContext().getRegistry().lookupByNameAndType("sendRecordStore",
                            eu.pisp.bpce.sendrecord.JdbcSendRecordStore.class).claimCounts();
                    notes.add(String.format(Locale.ROOT, "end to end, jdbc store, round %d: %d claims in %d batches "
                            + "(%.1f per statement and commit)", r, counts[0], counts[1],
                            (double) counts[0] / Math.max(1, counts[1])));
                }
                if (r == 0) {
                    rows.subList(rowsBefore, rows.size()).clear();
                    notes.subList(notesBefore, notes.size()).clear();
                    cpuRows.subList(rowsBefore, cpuRows.size()).clear();
                } else {
                    (onJdbc ? jdbcRates : fileRates).add(Double.parseDouble(rows.get(rowsBefore)[1]));
                }
                module.stop();
            }
        }
        StringBuilder perRound = new StringBuilder();
        for (int r = 0; r < rounds; r++) {
            perRound.append(r == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f",
                    jdbcRates.get(r) / fileRates.get(r)));
        }
        double file = fileRates.stream().mapToDouble(Double::doubleValue).sum();
        double jdbcSum = jdbcRates.stream().mapToDouble(Double::doubleValue).sum();
        notes.add(String.format(Locale.ROOT, "end to end, jdbc store / file store: %.2f (rounds: %s; pool size %s)",
                jdbcSum / file, perRound, jdbc.get("pisp.send-record.jdbc.pool-size")));
        for (String pool : System.getProperty("bench.jdbc.pools", "1,2,4,8").split(",")) {
            claimsPerSecond(url, Integer.parseInt(pool.strip()));
        }
    }

    /**
     * One side of the cost of metrics (pisp.metrics.enabled on or off): the direct phase and the end-to-end phase, each
     * after its warm-up, measured for two thirds of bench.seconds; prints one METRICS line that bench/run.sh metrics
     * sums over the JVMs it alternates.
     */
    private void metricsPhases(boolean on) throws Exception {
        Duration slice = measure.multipliedBy(2).dividedBy(3);
        String label = "metrics " + (on ? "on" : "off");
        ProducerTemplate template = module.getCamelContext().createProducerTemplate();
        closedLoop("direct, " + label, () -> direct(template), warmup, slice);
        endToEnd("end to end, " + label, 0, warmup.multipliedBy(2).dividedBy(3), slice);
        System.out.printf(Locale.ROOT, "METRICS %s direct %s e2e %s%n", on ? "on" : "off", rows.get(0)[1],
                rows.get(1)[1]);
    }

    /** {@code concurrency} threads making claims (and noting them accepted, as a payment does) on distinct keys. */
    private void claimsPerSecond(String url, int poolSize) throws Exception {
        eu.pisp.bpce.sendrecord.JdbcSendRecordStore store = new eu.pisp.bpce.sendrecord.JdbcSendRecordStore(
                new eu.pisp.bpce.sendrecord.JdbcSendRecordStore.Settings(url, System.getProperty("bench.jdbc.user", ""),
                        System.getProperty("bench.jdbc.password", "").toCharArray(), poolSize, 2000, 5000, 500,
                        "bench", Long.getLong("bench.jdbc.linger-us", 1000)));
        store.start();
        try {
            String run = Long.toString(System.nanoTime(), 36);
            Call claim = () -> {
                long n = ids.incrementAndGet();
                eu.pisp.bpce.sendrecord.PaymentSend send = new eu.pisp.bpce.sendrecord.PaymentSend("13807",
                        "C" + run + "-" + n, "ID:" + n, "r" + n, eu.pisp.bpce.payment.RequestIds.randomUuid());
                boolean ok = store.claim(send).claimed() == eu.pisp.bpce.sendrecord.SendRecordStore.Claimed.NEW;
                store.accepted(send, "RES-" + n);
                return ok;
            };
            closedLoop("jdbc store alone: claim + accepted, pool " + poolSize, claim, Duration.ofSeconds(10));
        } finally {
            store.stop();
        }
    }

    private boolean direct(ProducerTemplate template) {
        long n = ids.incrementAndGet();
        String body = SamplePayments.json("B-" + n, SamplePayments.iban(ESTABLISHMENTS[(int) (n % 5)], n));
        Exchange out = template.request("direct:initiate-payment", e -> e.getMessage().setBody(body));
        return "ACCEPTED".equals(out.getMessage().getHeader("pispOutcome"));
    }

    /**
     * The module and the baseline in alternating rounds (the machine's pace drifts: JIT, GC, the other tenant of the
     * cores), each after its own warm-up; one row each, summed over the rounds, and the ratio of each round.
     */
    private void sideBySide(ProducerTemplate template) throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 3);
        boolean bareToo = Boolean.getBoolean("bench.bare");
        BaselineClient baseline = new BaselineClient(bank);
        List<Phase> phases = new ArrayList<>();
        phases.add(new Phase("module via direct:initiate-payment", () -> direct(template)));
        phases.add(new Phase("hand-written HttpURLConnection baseline", baseline::send));
        if (bareToo) {
            addBareHttpRoute();
            phases.add(new Phase("reference: bare camel-http toD route (no checks)", () -> bare(template)));
        }
        // Each load warms up on its own, then once more after the others: the JIT keeps compiling the module's code
        // for a while after its first warm-up (a first round right after the baseline's warm-up measured 0.48).
        for (Phase p : phases) {
            runFor(p.call, warmup, null);
        }
        for (Phase p : phases) {
            runFor(p.call, warmup.dividedBy(3), null);
        }
        Duration slice = measure.dividedBy(rounds);
        for (int r = 0; r < rounds; r++) {
            for (Phase p : phases) {
                p.measure(slice);
            }
        }
        for (Phase p : phases) {
            p.report();
        }
        StringBuilder perRound = new StringBuilder();
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            ratios[r] = phases.get(0).rates.get(r) / phases.get(1).rates.get(r);
            // With each round's GC time (module's / baseline's slice): what makes single rounds swing.
            perRound.append(r == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f (GC %d / %d ms)", ratios[r],
                    phases.get(0).gcMillis.get(r), phases.get(1).gcMillis.get(r)));
        }
        Arrays.sort(ratios);
        notes.add(String.format(Locale.ROOT, "direct / baseline throughput: %.2f, median round %.2f (rounds: %s)",
                phases.get(0).rate() / phases.get(1).rate(), ratios[rounds / 2], perRound));
    }

    /** One closed-loop load measured over several slices. */
    private final class Phase {
        final String name;
        final Call call;
        final List<Double> rates = new ArrayList<>();
        final List<Long> gcMillis = new ArrayList<>();
        final List<long[]> latencies = new ArrayList<>();
        final Map<String, Integer> tokens = new LinkedHashMap<>();
        final CpuSplit cpu = new CpuSplit();
        int ok;
        int failed;
        double seconds;

        Phase(String name, Call call) {
            this.name = name;
            this.call = call;
        }

        void measure(Duration d) throws Exception {
            long[][] lat = new long[concurrency][];
            Map<String, Integer> tokensBefore = tokenCounts();
            callerCpu.set(0);
            CpuSplit.Mark mark = CpuSplit.mark();
            long gc0 = gcMillis();
            long t0 = System.nanoTime();
            int[] counts = runFor(call, d, lat);
            double s = (System.nanoTime() - t0) / 1e9;
            gcMillis.add(gcMillis() - gc0);
            cpu.add(mark, callerCpu.getAndSet(0));
            tokenCounts().forEach((e, n) -> tokens.merge(e, n - tokensBefore.getOrDefault(e, 0), Integer::sum));
            ok += counts[0];
            failed += counts[1];
            seconds += s;
            rates.add((counts[0] + counts[1]) / s);
            latencies.addAll(Arrays.asList(lat));
        }

        double rate() {
            return (ok + failed) / seconds;
        }

        void report() {
            Map<String, Integer> zero = new LinkedHashMap<>();
            tokenCounts().forEach((e, n) -> zero.put(e, n - tokens.getOrDefault(e, 0)));
            Benchmark.this.report(name, new int[] {ok, failed}, latencies.toArray(new long[0][]), seconds, cpu, zero);
        }
    }

    /**
     * Direct load for bench.heap.seconds (180), the used heap after a full GC every 30 s: is it flat once the send
     * record has reached pisp.send-record.max-entries?
     */
    private void heapOverTime(ProducerTemplate template) throws Exception {
        long total = Long.getLong("bench.heap.seconds", 180);
        eu.pisp.bpce.sendrecord.SendJournal journal = module.getCamelContext().getRegistry()
                .lookupByNameAndType("sendRecordStore", eu.pisp.bpce.sendrecord.FileSendRecordStore.class).journal();
        System.out.printf("%nheap over %d s of direct load (used heap after a full GC):%n", total);
        System.out.printf("%8s %12s %12s %18s%n", "second", "payments", "heap MB", "send record size");
        long start = System.nanoTime();
        System.out.printf("%8d %12d %12d %18d%n", 0, 0, usedHeapAfterGc() >> 20, journal.size());
        long payments = 0;
        for (long t = 30; t <= total; t += 30) {
            int[] counts = runFor(() -> direct(template), Duration.ofSeconds(30), null);
            payments += counts[0] + counts[1];
            System.out.printf("%8d %12d %12d %18d%n", (System.nanoTime() - start) / 1_000_000_000L, payments,
                    usedHeapAfterGc() >> 20, journal.size());
        }
    }

    /** Reference only: the least a Camel route can do here (headers + toD with camel-http), no checks at all. */
    private final Map<String, String> bareTokens = new ConcurrentHashMap<>();

    private void addBareHttpRoute() throws Exception {
        BaselineClient tokens = new BaselineClient(bank);
        for (String e : ESTABLISHMENTS) {
            bareTokens.put(e, "Bearer " + tokens.token(e));
        }
        module.getCamelContext().addRoutes(new org.apache.camel.builder.RouteBuilder() {
            @Override
            public void configure() {
                var route = from("direct:bench-bare-http").routeId("bench-bare-http");
                for (int i = 0; i < Integer.getInteger("bench.bare.extra-steps", 0); i++) {
                    route.setProperty("extra" + i, constant("x"));
                }
                route.setHeader("X-Request-ID", simple("${exchangeId}"))
                        .setHeader("Content-Type", constant("application/json"))
                        .toD("http://127.0.0.1:" + bank.port() + "/${header.cdetab}/stet/psd2/v1/payment-requests"
                                + "?httpMethod=POST")
                        .convertBodyTo(String.class);
            }
        });
    }

    private boolean bare(ProducerTemplate template) {
        long n = ids.incrementAndGet();
        String cdetab = ESTABLISHMENTS[(int) (n % 5)];
        String body = SamplePayments.json("R-" + n, SamplePayments.iban(cdetab, n));
        Exchange out = template.request("direct:bench-bare-http", e -> {
            e.getMessage().setBody(body);
            e.getMessage().setHeader("cdetab", cdetab);
            e.getMessage().setHeader("Authorization", bareTokens.get(cdetab));
        });
        return out.getException() == null && Integer.valueOf(201).equals(out.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
    }

    @FunctionalInterface
    interface Call {
        boolean call() throws Exception;
    }

    /** {@code concurrency} threads calling as fast as they can; latency of each call. */
    private void closedLoop(String name, Call call, Duration warm) throws Exception {
        closedLoop(name, call, warm, measure);
    }

    private void closedLoop(String name, Call call, Duration warm, Duration measure) throws Exception {
        if (!warm.isZero()) {
            runFor(call, warm, null);
        }
        Map<String, Integer> tokensBefore = tokenCounts();
        CpuSplit cpu = new CpuSplit();
        callerCpu.set(0);
        CpuSplit.Mark mark = CpuSplit.mark();
        long[][] latencies = new long[concurrency][];
        long t0 = System.nanoTime();
        int[] counts = runFor(call, measure, latencies);
        double seconds = (System.nanoTime() - t0) / 1e9;
        cpu.add(mark, callerCpu.getAndSet(0));
        report(name, counts, latencies, seconds, cpu, tokensBefore);
    }

    private int[] runFor(Call call, Duration d, long[][] latencies) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        int[] ok = new int[2];
        AtomicInteger good = new AtomicInteger();
        AtomicInteger bad = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(concurrency);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            int me = t;
            Thread worker = new Thread(() -> {
                long cpu0 = THREADS.getCurrentThreadCpuTime();
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
                    callerCpu.addAndGet(THREADS.getCurrentThreadCpuTime() - cpu0);
                    if (latencies != null) {
                        latencies[me] = Arrays.copyOf(lat, n);
                    }
                    done.countDown();
                }
            }, "bench-" + t);
            workers.add(worker);
            worker.start();
        }
        Thread.sleep(d.toMillis());
        stop.set(true);
        done.await();
        // Ended, so that CpuSplit does not count their CPU a second time as live threads.
        for (Thread w : workers) {
            w.join();
        }
        ok[0] = good.get();
        ok[1] = bad.get();
        return ok;
    }

    /** Persistent messages queued as fast as the broker takes them; outcomes read back; latency send -> outcome. */
    private void endToEnd(String name, long bankLatencyMs) throws Exception {
        endToEnd(name, bankLatencyMs, warmup);
    }

    private void endToEnd(String name, long bankLatencyMs, Duration warmup) throws Exception {
        endToEnd(name, bankLatencyMs, warmup, measure);
    }

    private void endToEnd(String name, long bankLatencyMs, Duration warmup, Duration measure) throws Exception {
        bank.paymentLatency(bankLatencyMs);
        // The load generator shares the JVM (and the 2 cores) with the module: it talks to the broker in-VM so that
        // its own loopback TCP traffic is not billed to the module. Other ESB components would use the TCP acceptor.
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(System.getProperty("bench.client-url",
                "vm://0"));
        factory.setBlockOnDurableSend(false);
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        // Keep a bounded backlog in the queue so that the module, not the sender, sets the pace.
        java.util.concurrent.Semaphore room = new java.util.concurrent.Semaphore(Integer.getInteger("bench.backlog",
                1000));
        try (Connection c = factory.createConnection()) {
            Session ps = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = ps.createProducer(ps.createQueue("pisp.payment-requests"));
            Session cs = c.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
            MessageConsumer accepted = cs.createConsumer(cs.createQueue("pisp.payment-requests.accepted"));
            MessageConsumer failed = cs.createConsumer(cs.createQueue("pisp.payment-requests.failed"));
            AtomicInteger good = new AtomicInteger();
            AtomicInteger bad = new AtomicInteger();
            List<Long> lat = java.util.Collections.synchronizedList(new ArrayList<>());
            accepted.setMessageListener(m -> outcome(m, sentAt, lat, good, room));
            failed.setMessageListener(m -> outcome(m, sentAt, lat, bad, room));
            c.start();
            long warmEnd = System.nanoTime() + warmup.toNanos();
            long measureStart = 0;
            CpuSplit.Mark mark = null;
            int goodAtStart = 0;
            long pgCpuAtStart = 0;
            Map<String, Integer> tokensBefore = null;
            List<Long> measured = null;
            long end = Long.MAX_VALUE;
            while (System.nanoTime() < end) {
                if (measureStart == 0 && System.nanoTime() > warmEnd) {
                    measureStart = System.nanoTime();
                    end = measureStart + measure.toNanos();
                    mark = CpuSplit.mark();
                    pgCpuAtStart = postgresCpuMicros();
                    goodAtStart = good.get() + bad.get();
                    tokensBefore = tokenCounts();
                    lat.clear();
                }
                if (room.tryAcquire(50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    String id = "E-" + ids.incrementAndGet();
                    Message m = ps.createTextMessage(SamplePayments.json(id,
                            SamplePayments.iban(ESTABLISHMENTS[(int) (ids.get() % 5)], ids.get())));
                    m.setJMSCorrelationID(id);
                    sentAt.put(id, System.nanoTime());
                    producer.send(m);
                }
            }
            double seconds = (System.nanoTime() - measureStart) / 1e9;
            long pgCpu = postgresCpuMicros() - pgCpuAtStart;
            CpuSplit cpu = new CpuSplit();
            cpu.add(mark, 0);
            int done = good.get() + bad.get() - goodAtStart;
            if (pgCpu > 0) {
                notes.add(String.format(Locale.ROOT, "%s: PostgreSQL processes' CPU %.0f us per message (not in the "
                        + "table's CPU column)", name, (double) pgCpu / Math.max(1, done)));
            }
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

    /** CPU time (user + system) of the machine's running postgres processes, from /proc; 0 where there is none. */
    static long postgresCpuMicros() {
        long ticks = 0;
        java.io.File[] procs = new java.io.File("/proc").listFiles((d, n) -> n.chars().allMatch(Character::isDigit));
        for (java.io.File proc : procs == null ? new java.io.File[0] : procs) {
            try {
                if (!Files.readString(proc.toPath().resolve("comm")).strip().equals("postgres")) {
                    continue;
                }
                String stat = Files.readString(proc.toPath().resolve("stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            } catch (java.io.IOException | RuntimeException gone) {
                // ended meanwhile, or not readable
            }
        }
        return ticks * 10_000; // USER_HZ is 100 on Linux
    }

    private static void outcome(Message m, Map<String, Long> sentAt, List<Long> lat, AtomicInteger counter,
                                java.util.concurrent.Semaphore room) {
        try {
            Long s = sentAt.remove(m.getJMSCorrelationID());
            if (s != null) {
                room.release();
            }
            if (s != null) {
                lat.add(System.nanoTime() - s);
            }
            counter.incrementAndGet();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void report(String name, int[] counts, long[][] latencies, double seconds, CpuSplit cpu,
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
                String.format(Locale.ROOT, "%.0f", n == 0 ? 0 : cpu.total() / 1e3 / n)});
        cpuRows.add(cpu.perMessage(name, n));
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

    /** Time spent in garbage collection so far, all collectors (pauses and, for G1, concurrent cycles). */
    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).sum();
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
