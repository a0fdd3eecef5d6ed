package eu.pisp.bpce.bench.tcp;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TCP path, as an ESB uses the module: every part in a process of its own on 127.0.0.1.
 *
 * <ul>
 *   <li>the module as the README launches it ({@code java -Xmx256m -jar target/bpce-pisp-routes.jar}, its
 *       {@code config/} and {@code routes/}, embedded Artemis), pointed at the bank below, with a fresh broker journal
 *       and send record per run;</li>
 *   <li>the bank simulator ({@link BankProcess});</li>
 *   <li>a producer sending over the broker's TCP acceptor ({@link TcpProducer});</li>
 *   <li>a reader of both outcome queues over TCP ({@link TcpOutcomeReader}).</li>
 * </ul>
 *
 * <p>Each run measures a window of {@code bench.tcp.seconds} (20) that opens {@code bench.tcp.warmup-seconds} (120)
 * after the first outcome: every side is measured at the same age of its JVMs, however fast it gets there (a window
 * by outcome number gives a faster side less time to compile before it opens). Or, with {@code bench.tcp.from} and
 * {@code bench.tcp.to}, the outcomes so numbered. It reports outcomes/s, latency from send to outcome read, and the CPU
 * (user and system) per outcome of each process, the module's split by thread group. The sides of a round are the
 * module and two anchors, the same jar and configuration with only their own routes loaded ({@code bench/anchors/}):
 * {@code broker} (JMS in, JMS out) and {@code minimal} (JMS in, one POST with a token fetched beforehand, JMS out).
 * The order of the sides turns every round (the machine's pace drifts), and the module / minimal ratio is printed per
 * round and for the sums.
 *
 * <p>Each run also reads the machine's own CPU accounting (/proc/stat) over its window: the share stolen by the
 * host for other guests (steal) and the share idle. On a shared virtual machine the CPU a run gets changes from
 * minute to minute, and outcomes/s with it. So the ratio is also printed by CPU: the CPU all four processes spend per
 * outcome, minimal / module. The host's share moves it less, though not to nothing: on a slow host each outcome also
 * takes more CPU.
 *
 * <p>Options (system properties): {@code bench.tcp.sides} (broker,minimal,module), {@code bench.tcp.rounds} (3),
 * {@code bench.tcp.warmup-seconds} / {@code bench.tcp.seconds} (120 / 20: on 2 cores the module's JIT compilation
 * takes one to two minutes), or {@code bench.tcp.from} / {@code bench.tcp.to} (outcome numbers),
 * {@code bench.tcp.bank-latency} (ms, 0),
 * {@code bench.tcp.jvm} (the module's JVM options, {@code -Xmx256m}), {@code bench.tcp.jvm.<side>} (that side's
 * instead, separated by commas: e.g. sides {@code module,module-parallelgc} with
 * {@code -Dbench.tcp.jvm.module-parallelgc=-Xmx256m,-XX:+UseParallelGC}; a side named module... runs the module's
 * routes), {@code bench.tcp.props} (more {@code -Dk=v} for
 * the module, e.g. {@code -Dpisp.concurrent-consumers=16}), {@code bench.tcp.consumers} (a list: one module run per
 * value of pisp.concurrent-consumers instead of the sides), {@code bench.tcp.jfr} (a JFR recording of the module's
 * JVM per run, in target/), {@code bench.tcp.interleave} (a number of pairs of slices: every side's JVMs up at once, measured
 * in short alternating slices, see {@link TcpInterleaved}).
 */
public final class TcpBench {

    private static final String CDETAB = "13807";
    static final Path OUT = Path.of("target");
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final Pattern THREAD = Pattern.compile("^\"(.*)\" .*nid=(0x[0-9a-f]+|\\d+)", Pattern.MULTILINE);

    private static final int CI = Pattern.CASE_INSENSITIVE;
    /** Thread groups of the module's JVM, first match wins. */
    private static final Map<String, Pattern> GROUPS = new LinkedHashMap<>();

    static {
        GROUPS.put("routes (JMS consumer threads)", Pattern.compile("Camel .*JmsConsumer.*"));
        GROUPS.put("other Camel threads", Pattern.compile("Camel .*"));
        // Artemis names its threads after its pools: activemq-remoting-tcp-<broker> (netty, the TCP acceptor),
        // activemq-io-<broker> and activemq-buffer-timeout (the journal), ...in-v-m-connector (the module's own
        // connections), activemq-<broker> (the server's executor: deliveries, sessions, transactions).
        GROUPS.put("broker: TCP acceptor (netty)", Pattern.compile(".*(remoting-tcp|netty).*", CI));
        GROUPS.put("broker: journal", Pattern.compile(".*(activemq-io|buffer-timeout|journal).*", CI));
        GROUPS.put("broker: in-VM connections", Pattern.compile(".*(in-v-m|invm).*", CI));
        GROUPS.put("broker: server threads", Pattern.compile(".*(activemq|artemis).*", CI));
        GROUPS.put("GC", Pattern.compile("(GC Thread|G1 |VM Thread|VM Periodic|Parallel|ParGC).*"));
        GROUPS.put("JIT compiler", Pattern.compile("C[12] CompilerThread.*"));
    }

    private final Path work;
    /** A window by outcome number when both are set (e.g. 40000 / 55000), else by time. */
    private final long from = Long.getLong("bench.tcp.from", 0);
    private final long to = Long.getLong("bench.tcp.to", 0);
    private final boolean byCount = from > 0 && to > from;
    private final Duration warmup = Duration.ofSeconds(Long.getLong("bench.tcp.warmup-seconds", 120));
    private final Duration measured = Duration.ofSeconds(Long.getLong("bench.tcp.seconds", 20));
    private final String password = UUID.randomUUID().toString();
    private final List<Run> runs = new ArrayList<>();
    private int bankPort;
    private Process bank;

    private TcpBench() throws IOException {
        work = Files.createTempDirectory("pisp-bench-tcp");
    }

    record Run(String side, int round, double rate, double early, double p50, double p99, long failed,
               long outcomes, Map<String, long[]> cpu, Map<String, long[]> moduleThreads, int busyThreads,
               long[] machine) {

        /** CPU of the four processes (module, bank, producer, reader), user + system us per outcome. */
        double allCpuPerOutcome() {
            long us = 0;
            for (long[] c : cpu.values()) {
                us += c[0] + c[1];
            }
            return (double) us / outcomes;
        }

        /** Share of the machine's CPU time in the window that went to other guests of the host (steal), in %. */
        double stealPercent() {
            long all = machine[0] + machine[1] + machine[2];
            return all == 0 ? 0 : 100.0 * machine[2] / all;
        }

        double idlePercent() {
            long all = machine[0] + machine[1] + machine[2];
            return all == 0 ? 0 : 100.0 * machine[1] / all;
        }
    }

    public static void main(String[] args) throws Exception {
        TcpBench bench = new TcpBench();
        try {
            bench.run();
        } finally {
            bench.stopBank();
        }
        System.exit(0);
    }

    private void run() throws Exception {
        long latency = Long.getLong("bench.tcp.bank-latency", 0);
        startBank(latency);
        int rounds = Integer.getInteger("bench.tcp.rounds", 3);
        String consumers = System.getProperty("bench.tcp.consumers", "");
        System.out.printf("bench tcp: %d cores, bank at %d ms, %s, module JVM '%s'%s%n",
                Runtime.getRuntime().availableProcessors(), latency, byCount
                        ? String.format("outcomes %d to %d measured", from, to)
                        : String.format("%d s measured after %d s from the first outcome", measured.toSeconds(),
                        warmup.toSeconds()), jvmOptions(),
                extraProps().isEmpty() ? "" : ", " + String.join(" ", extraProps()));
        List<String> sides = consumers.isBlank()
                ? List.of(System.getProperty("bench.tcp.sides", "broker,minimal,module").split(","))
                : Arrays.stream(consumers.split(",")).map(c -> "module@" + c.strip()).toList();
        int slices = Integer.getInteger("bench.tcp.interleave", 0);
        if (slices > 0) {
            new TcpInterleaved(this, work, warmup, measured).run(sides, slices);
            return;
        }
        for (int round = 1; round <= rounds; round++) {
            List<String> order = new ArrayList<>(sides);
            // Turn the order every round: no side always follows the same one.
            java.util.Collections.rotate(order, -(round - 1));
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            for (String side : order) {
                Run r = runOnce(side, round);
                runs.add(r);
                System.out.printf(Locale.ROOT, "  round %d %-12s %7.0f outcomes/s (%d in the window)  p50 %6.1f ms  "
                                + "p99 %6.1f ms%s  module CPU %4.0f us/outcome, all four %4.0f  steal %2.0f %%, idle "
                                + "%2.0f %%  (outcomes 4,000-10,000: %.0f/s)%n",
                        round, side, r.rate, r.outcomes, r.p50, r.p99,
                        r.failed > 0 ? "  (" + r.failed + " failed)" : "", perOutcome(r.cpu.get("module"), r),
                        r.allCpuPerOutcome(), r.stealPercent(), r.idlePercent(), r.early);
            }
        }
        printSummary(sides, rounds);
    }

    private Run runOnce(String side, int round) throws Exception {
        Path dir = Files.createDirectories(work.resolve(side.replace('@', '-') + "-" + round));
        Path progress = dir.resolve("progress");
        Files.write(progress, new byte[Progress.BYTES]);
        int brokerPort = freePort();
        String brokerUrl = "tcp://127.0.0.1:" + brokerPort;
        String label = side.replace('@', '-') + "-" + round;
        Process module = startModule(side, dir, brokerUrl, label);
        Process reader = null;
        Process producer = null;
        try {
            waitForPort(brokerPort, module, Duration.ofSeconds(90));
            reader = startJava(TcpOutcomeReader.class, dir.resolve("reader.log"), brokerUrl, progress.toString());
            waitForLine(dir.resolve("reader.log"), "READER ready", reader, Duration.ofSeconds(60));
            producer = startJava(TcpProducer.class, dir.resolve("producer.log"), brokerUrl, progress.toString());
            Map<String, Long> pids = new LinkedHashMap<>();
            pids.put("module", module.pid());
            pids.put("bank", bank.pid());
            pids.put("producer", producer.pid());
            pids.put("reader", reader.pid());
            try (Progress p = Progress.open(progress)) {
                long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                awaitOutcomes(p, byCount ? from : 1, module, reader, producer, deadline);
                if (!byCount) {
                    awaitTime(warmup, p, module, reader, producer, deadline);
                }
                Map<String, long[]> cpuAtStart = cpu(pids);
                long[] machineAtStart = ProcessCpu.machine();
                Map<Long, long[]> threadsAtStart = ProcessCpu.threads(module.pid());
                p.window(Progress.OPEN);
                if (byCount) {
                    awaitOutcomes(p, to, module, reader, producer, deadline);
                } else {
                    awaitTime(measured, p, module, reader, producer, deadline);
                }
                p.window(Progress.CLOSED);
                Map<String, long[]> cpuAtEnd = cpu(pids);
                long[] machine = minus(ProcessCpu.machine(), machineAtStart);
                Map<Long, long[]> threadsAtEnd = ProcessCpu.threads(module.pid());
                Map<String, long[]> cpu = new LinkedHashMap<>();
                cpuAtEnd.forEach((k, v) -> cpu.put(k, minus(v, cpuAtStart.get(k))));
                String result = waitForLine(dir.resolve("reader.log"), "RESULT", reader, Duration.ofSeconds(30));
                String[] f = result.split(" ");
                long outcomes = Long.parseLong(f[8]);
                Map<String, long[]> groups = new TreeMap<>();
                Map<String, long[]> each = new TreeMap<>();
                int busy = groupThreads(module.pid(), threadsAtStart, threadsAtEnd, cpu.get("module"), groups, each,
                        outcomes / Double.parseDouble(f[1]));
                Files.writeString(OUT.resolve("bench-tcp-" + label + "-threads.txt"), threadsReport(groups, outcomes)
                        + "\n" + threadsReport(each, outcomes));
                return new Run(side, round, Double.parseDouble(f[1]), Double.parseDouble(f[7]),
                        Double.parseDouble(f[2]), Double.parseDouble(f[3]), Long.parseLong(f[6]), outcomes, cpu,
                        groups, busy, machine);
            }
        } finally {
            destroy(producer);
            destroy(reader);
            stopModule(module);
            Files.copy(dir.resolve("module.log"), OUT.resolve("bench-tcp-" + label + ".log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            deleteTree(dir);
        }
    }

    Process startModule(String side, Path dir, String brokerUrl, String label) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(JAVA);
        cmd.addAll(jvmOptions(side));
        if (Boolean.getBoolean("bench.tcp.jfr")) {
            cmd.add("-XX:StartFlightRecording=filename=" + OUT.resolve("bench-tcp-" + label + ".jfr").toAbsolutePath()
                    + ",settings=profile");
        }
        String bankBase = "http://127.0.0.1:" + bankPort;
        cmd.add("-Dpisp.client-id=PSDFR-ACPR-12345");
        cmd.add("-Dpisp.aspsp.base-url-template=" + bankBase + "/{cdetab}");
        cmd.add("-Dpisp.broker.url=" + brokerUrl);
        cmd.add("-Dpisp.broker.data-dir=" + dir.resolve("broker"));
        cmd.add("-Dpisp.send-record.file=" + dir.resolve("send-record.log"));
        cmd.add("-Dpisp.broker.user=bench");
        cmd.add("-Dpisp.management.port=" + freePort());
        // The simulator checks no signature here: signing needs a QSealC, and the anchors do not sign.
        cmd.add("-Dpisp.signature.enabled=false");
        String anchor = side.startsWith("module") ? null : side;
        if (anchor != null) {
            cmd.add("-Dcamel.main.routes-include-pattern=file:bench/anchors/" + (anchor.equals("broker")
                    ? "broker-only" : anchor) + "/*.yaml");
            cmd.add("-Dbench.anchor.payment-url=" + bankBase + "/" + CDETAB + "/stet/psd2/v1/payment-requests");
        }
        if (side.startsWith("module@")) {
            cmd.add("-Dpisp.concurrent-consumers=" + side.substring("module@".length()));
        }
        cmd.addAll(extraProps());
        cmd.add("-jar");
        cmd.add("target/bpce-pisp-routes.jar");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("module.log").toFile());
        pb.environment().put("PISP_BROKER_PASSWORD", password);
        if ("minimal".equals(anchor)) {
            pb.environment().put("BENCH_TOKEN", fetchToken());
        }
        return pb.start();
    }

    static List<String> jvmOptions() {
        return List.of(System.getProperty("bench.tcp.jvm", "-Xmx256m").strip().split("\\s+"));
    }

    /** The side's own JVM options (bench.tcp.jvm.&lt;side&gt;, comma-separated: run.sh splits BENCH_OPTS on spaces). */
    static List<String> jvmOptions(String side) {
        String own = System.getProperty("bench.tcp.jvm." + side);
        return own == null || own.isBlank() ? jvmOptions() : List.of(own.strip().split("[,\\s]+"));
    }

    static List<String> extraProps() {
        String p = System.getProperty("bench.tcp.props", "").strip();
        return p.isEmpty() ? List.of() : List.of(p.split("\\s+"));
    }

    Process startJava(Class<?> main, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-Xmx256m", "-cp", System.getProperty("java.class.path")));
        for (String key : List.of("bench.tcp.backlog", "bench.tcp.sync-send", "bench.tcp.early-from",
                "bench.tcp.early-to", "bench.tcp.max-window")) {
            if (System.getProperty(key) != null) {
                cmd.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("BENCH_BROKER_USER", "bench");
        pb.environment().put("BENCH_BROKER_PASSWORD", password);
        return pb.start();
    }

    private void startBank(long latencyMs) throws Exception {
        Path log = work.resolve("bank.log");
        bank = new ProcessBuilder(JAVA, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                BankProcess.class.getName(), String.valueOf(latencyMs))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        bankPort = Integer.parseInt(waitForLine(log, "BANK ", bank, Duration.ofSeconds(30)).substring(5).strip());
    }

    Process bank() {
        return bank;
    }

    private void stopBank() {
        destroy(bank);
    }

    /** A token of the establishment, fetched once from the bank as a client would: the minimal anchor uses it. */
    private String fetchToken() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + bankPort + "/" + CDETAB + "/stet/psd2/oauth/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "grant_type=client_credentials&scope=pisp&client_id=PSDFR-ACPR-12345")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("\"access_token\":\"([^\"]+)\"").matcher(r.body());
        if (r.statusCode() != 200 || !m.find()) {
            throw new IllegalStateException("token request answered " + r.statusCode());
        }
        return m.group(1);
    }

    static Map<String, long[]> cpu(Map<String, Long> pids) {
        Map<String, long[]> cpu = new LinkedHashMap<>();
        pids.forEach((k, pid) -> cpu.put(k, ProcessCpu.of(pid)));
        return cpu;
    }

    /**
     * The module JVM's CPU in the window by thread group (names from jcmd Thread.print: /proc keeps only 15
     * characters); what no live thread accounts for is "ended threads". Returns the number of threads that were busy
     * (more than 2 % of a core over the window, i.e. not just parked or ticking).
     */
    static int groupThreads(long pid, Map<Long, long[]> start, Map<Long, long[]> end, long[] processCpu,
                                    Map<String, long[]> groups, Map<String, long[]> each, double seconds)
            throws Exception {
        Map<Long, String> names = new java.util.HashMap<>();
        Process jcmd = new ProcessBuilder("jcmd", String.valueOf(pid), "Thread.print").redirectErrorStream(true)
                .start();
        String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        jcmd.waitFor(30, TimeUnit.SECONDS);
        Matcher m = THREAD.matcher(dump);
        while (m.find()) {
            String nid = m.group(2);
            names.put(nid.startsWith("0x") ? Long.parseLong(nid.substring(2), 16) : Long.parseLong(nid), m.group(1));
        }
        long[] accounted = {0, 0};
        int busy = 0;
        long busyMicros = (long) (seconds * 1e6 * 0.02);
        for (Map.Entry<Long, long[]> e : end.entrySet()) {
            long[] d = minus(e.getValue(), start.getOrDefault(e.getKey(), new long[] {0, 0}));
            if (d[0] + d[1] == 0) {
                continue;
            }
            String name = names.getOrDefault(e.getKey(), "native thread " + e.getKey());
            String group = GROUPS.entrySet().stream().filter(g -> g.getValue().matcher(name).matches())
                    .map(Map.Entry::getKey).findFirst().orElse("other: " + name.replaceAll("\\d+", "#"));
            long[] g = groups.computeIfAbsent(group, k -> new long[3]);
            g[0] += d[0];
            g[1] += d[1];
            boolean isBusy = d[0] + d[1] > busyMicros;
            if (isBusy) {
                g[2]++;
                busy++;
            }
            each.put(name + " [" + e.getKey() + "]", new long[] {d[0], d[1], isBusy ? 1 : 0});
            accounted[0] += d[0];
            accounted[1] += d[1];
        }
        groups.put("ended threads", new long[] {Math.max(0, processCpu[0] - accounted[0]),
                Math.max(0, processCpu[1] - accounted[1]), 0});
        return busy;
    }

    static String threadsReport(Map<String, long[]> groups, long n) {
        StringBuilder b = new StringBuilder("group\tuser us/outcome\tsystem us/outcome\tbusy threads\n");
        groups.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0] + y.getValue()[1],
                        x.getValue()[0] + x.getValue()[1]))
                .forEach(e -> b.append(String.format(Locale.ROOT, "%s\t%.0f\t%.0f\t%d%n", e.getKey(),
                        (double) e.getValue()[0] / n, (double) e.getValue()[1] / n, e.getValue()[2])));
        return b.toString();
    }

    private void printSummary(List<String> sides, int rounds) {
        System.out.println();
        System.out.printf("%-12s %11s %12s %8s %8s   %s%n", "side", "outcomes/s", "early out/s", "p50 ms", "p99 ms",
                "CPU per outcome, user + system us: module, bank, producer, reader");
        for (String side : sides) {
            List<Run> rs = runs.stream().filter(r -> r.side.equals(side)).toList();
            double rate = rs.stream().mapToDouble(Run::rate).sum() / rs.size();
            double early = rs.stream().mapToDouble(Run::early).sum() / rs.size();
            double p50 = median(rs.stream().mapToDouble(Run::p50).toArray());
            double p99 = median(rs.stream().mapToDouble(Run::p99).toArray());
            StringBuilder cpu = new StringBuilder();
            for (String proc : List.of("module", "bank", "producer", "reader")) {
                long[] sum = {0, 0};
                rs.forEach(r -> {
                    sum[0] += r.cpu.get(proc)[0];
                    sum[1] += r.cpu.get(proc)[1];
                });
                long n = rs.stream().mapToLong(Run::outcomes).sum();
                cpu.append(String.format(Locale.ROOT, "%s %.0f + %.0f  ", proc, (double) sum[0] / n,
                        (double) sum[1] / n));
            }
            System.out.printf(Locale.ROOT, "%-12s %11.0f %12.0f %8.1f %8.1f   %s%n", side, rate, early, p50, p99, cpu);
        }
        if (sides.contains("module") && sides.contains("minimal")) {
            double module = 0;
            double minimal = 0;
            StringBuilder perRound = new StringBuilder();
            double[] ratios = new double[rounds];
            for (int round = 1; round <= rounds; round++) {
                double a = rate("module", round);
                double b = rate("minimal", round);
                module += a;
                minimal += b;
                ratios[round - 1] = a / b;
                perRound.append(String.format(Locale.ROOT, "%s%.2f", round == 1 ? "" : ", ", a / b));
            }
            System.out.printf(Locale.ROOT, "%nmodule / minimal route: %.2f over %d rounds (rounds %s; median %.2f)%n",
                    module / minimal, rounds, perRound, median(ratios));
            // The same comparison by CPU: with the cores nearly saturated, outcomes/s is about the CPU the machine gives
            // divided by the CPU an outcome takes. The first varies with the host (steal, neighbours), the second less.
            StringBuilder cpuPerRound = new StringBuilder();
            double[] cpuRatios = new double[rounds];
            for (int round = 1; round <= rounds; round++) {
                cpuRatios[round - 1] = allCpu("minimal", round) / allCpu("module", round);
                cpuPerRound.append(String.format(Locale.ROOT, "%s%.2f", round == 1 ? "" : ", ", cpuRatios[round - 1]));
            }
            System.out.printf(Locale.ROOT, "by CPU per outcome of the four processes, minimal / module: %.2f over the "
                            + "rounds (%.0f / %.0f us; rounds %s; median %.2f)%n", allCpu("minimal") / allCpu("module"),
                    allCpu("minimal"), allCpu("module"), cpuPerRound, median(cpuRatios));
        }
        System.out.println();
        System.out.println("module JVM by thread group, user + system us per outcome (summed over the rounds), "
                + "busy threads (above 2 % of a core) per round:");
        for (String side : sides) {
            List<Run> rs = runs.stream().filter(r -> r.side.equals(side)).toList();
            Map<String, long[]> sum = new TreeMap<>();
            rs.forEach(r -> r.moduleThreads.forEach((g, v) -> {
                long[] s = sum.computeIfAbsent(g, k -> new long[2]);
                s[0] += v[0];
                s[1] += v[1];
            }));
            long n = rs.stream().mapToLong(Run::outcomes).sum();
            System.out.printf("  %s (busy threads %s):%n", side,
                    rs.stream().map(r -> String.valueOf(r.busyThreads)).toList());
            sum.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0] + y.getValue()[1],
                            x.getValue()[0] + x.getValue()[1])).limit(12)
                    .forEach(e -> System.out.printf(Locale.ROOT, "    %-40s %5.0f + %4.0f%n", e.getKey(),
                            (double) e.getValue()[0] / n, (double) e.getValue()[1] / n));
        }
    }

    /** CPU of the four processes per outcome, user + system us, of one round or (round 0) of every round. */
    private double allCpu(String side, int round) {
        List<Run> rs = runs.stream().filter(r -> r.side.equals(side) && (round == 0 || r.round == round)).toList();
        double us = rs.stream().mapToDouble(r -> r.allCpuPerOutcome() * r.outcomes).sum();
        return us / rs.stream().mapToLong(Run::outcomes).sum();
    }

    private double allCpu(String side) {
        return allCpu(side, 0);
    }

    private double rate(String side, int round) {
        return runs.stream().filter(r -> r.side.equals(side) && r.round == round).mapToDouble(Run::rate)
                .findFirst().orElse(Double.NaN);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double perOutcome(long[] cpu, Run r) {
        return (double) (cpu[0] + cpu[1]) / r.outcomes;
    }

    static long[] minus(long[] a, long[] b) {
        long[] d = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static void awaitOutcomes(Progress p, long n, Process module, Process reader, Process producer,
                                      long deadline) throws InterruptedException {
        while (p.outcomes() < n) {
            check(module, reader, producer, deadline, p.outcomes());
            Thread.sleep(2);
        }
    }

    private static void awaitTime(Duration d, Progress p, Process module, Process reader, Process producer,
                                  long deadline) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            check(module, reader, producer, deadline, p.outcomes());
            Thread.sleep(5);
        }
    }

    private static void check(Process module, Process reader, Process producer, long deadline, long outcomes) {
        for (Process p : List.of(module, reader, producer)) {
            if (!p.isAlive()) {
                throw new IllegalStateException("a process of the run ended (exit " + p.exitValue() + ") after "
                        + outcomes + " outcomes; see its log in target/");
            }
        }
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("no end of the window after 10 minutes (" + outcomes + " outcomes)");
        }
    }

    static void waitForPort(int port, Process owner, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                if (!owner.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the module's broker did not listen on " + port);
                }
                Thread.sleep(100);
            }
        }
    }

    static String waitForLine(Path log, String prefix, Process owner, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                String text = Files.readString(log);
                // only whole lines: the writer may be half-way through one
                for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
                    if (line.startsWith(prefix)) {
                        return line;
                    }
                }
            }
            if (!owner.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no '" + prefix + "' line in " + log + ": "
                + (Files.exists(log) ? Files.readString(log) : "no log"));
    }

    static void destroy(Process p) {
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SIGTERM, as an operator stops it; forcibly after 30 s. */
    static void stopModule(Process module) throws InterruptedException {
        module.destroy();
        if (!module.waitFor(30, TimeUnit.SECONDS)) {
            module.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
