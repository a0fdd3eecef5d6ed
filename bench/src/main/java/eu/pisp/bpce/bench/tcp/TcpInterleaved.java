package eu.pisp.bpce.bench.tcp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The TCP path measured in short alternating slices with every side's processes up at once
 * ({@code bench.tcp.interleave=<slices>}).
 *
 * <p>Why: on this project's shared 2-core virtual machines the CPU a process gets drifts from minute to minute. In the
 * round-by-round runs ({@link TcpBench}) each side is a fresh JVM measured for 20 s after a 120 s warm-up, so the two
 * sides of a round are minutes apart, and a round's ratio swung between 0.58 and 0.92 in one run (2026-12-02). The
 * drift moved every process of a round alike: in the slow round the bank simulator, which does the same work for
 * both sides, also spent about 30 % more CPU per outcome. Here both sides' JVMs are started and warmed up once
 * (each {@code bench.tcp.warmup-seconds} of its own load, one after the other), then measured in turns of
 * {@code bench.tcp.seconds} each, the order flipped every pair (A B, B A, ...): the sides of a pair are seconds apart
 * and many pairs are summed, so the drift falls on both sides alike.
 *
 * <p>A slice: the side's producer resumes (the other side's is paused and its backlog drained), the side runs
 * {@code bench.tcp.settle-seconds} (5) to refill its backlog and come back to pace, then the window is measured from
 * the outcome count and /proc: outcomes/s, CPU per outcome of the side's four processes (its module, the bank, its
 * producer and reader), the module's thread groups, and the CPU the idle side's processes took meanwhile (a parked
 * JVM is not free: its JMS consumers poll). No latency: queueing behind the 1,000-message backlog is most of it
 * (see the round-by-round runs for p50/p99).
 */
final class TcpInterleaved {

    private final TcpBench bench;
    private final Path work;
    private final Duration warmup;
    private final Duration measured;
    private final Duration settle = Duration.ofSeconds(Long.getLong("bench.tcp.settle-seconds", 5));
    private final List<Slice> slices = new ArrayList<>();

    TcpInterleaved(TcpBench bench, Path work, Duration warmup, Duration measured) {
        this.bench = bench;
        this.work = work;
        this.warmup = warmup;
        this.measured = measured;
    }

    /** One side's processes, up for the whole run. */
    private record Side(String name, Path dir, Process module, Process reader, Process producer, Progress progress) {

        Map<String, Long> pids(Process bank) {
            Map<String, Long> pids = new LinkedHashMap<>();
            pids.put("module", module.pid());
            pids.put("bank", bank.pid());
            pids.put("producer", producer.pid());
            pids.put("reader", reader.pid());
            return pids;
        }

        void check() {
            for (Process p : List.of(module, reader, producer)) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a process of side " + name + " ended (exit " + p.exitValue()
                            + ") after " + progress.outcomes() + " outcomes; see its log in target/");
                }
            }
        }
    }

    private record Slice(String side, int pair, double rate, long outcomes, Map<String, long[]> cpu,
                         long idleSidesMicros, double seconds, Map<String, long[]> groups, long[] machine) {

        double allCpuPerOutcome() {
            long us = 0;
            for (long[] c : cpu.values()) {
                us += c[0] + c[1];
            }
            return (double) us / outcomes;
        }
    }

    void run(List<String> names, int pairs) throws Exception {
        System.out.printf(Locale.ROOT, "interleaved: %s up at once; each warmed up %d s, then %d pairs of %d s slices "
                        + "(after %d s to settle), the order flipped every pair%n", String.join(", ", names),
                warmup.toSeconds(), pairs, measured.toSeconds(), settle.toSeconds());
        List<Side> sides = new ArrayList<>();
        try {
            for (String name : names) {
                sides.add(start(name));
            }
            for (Side s : sides) {
                s.progress.paused(false);
                awaitOutcomes(s, 1, Duration.ofMinutes(5));
                run(s, warmup, sides);
                pauseAndDrain(s, sides);
            }
            for (int pair = 1; pair <= pairs; pair++) {
                List<Side> order = new ArrayList<>(sides);
                if (pair % 2 == 0) {
                    java.util.Collections.reverse(order);
                }
                for (Side s : order) {
                    Slice slice = slice(s, pair, sides);
                    slices.add(slice);
                    System.out.printf(Locale.ROOT, "  pair %2d %-8s %6.0f outcomes/s (%d)  module CPU %4.0f us/outcome, "
                                    + "all four %4.0f  idle side %3.0f ms/s  steal %2.0f %%, idle %2.0f %%%n",
                            pair, s.name, slice.rate, slice.outcomes, perOutcome(slice.cpu.get("module"), slice.outcomes),
                            slice.allCpuPerOutcome(), slice.idleSidesMicros / 1000.0 / slice.seconds,
                            percent(slice.machine, 2), percent(slice.machine, 1));
                }
            }
        } finally {
            for (Side s : sides) {
                stop(s);
            }
        }
        summary(names, pairs);
    }

    private Side start(String name) throws Exception {
        Path dir = Files.createDirectories(work.resolve(name.replace('@', '-') + "-interleaved"));
        Path progressFile = dir.resolve("progress");
        Files.write(progressFile, new byte[Progress.BYTES]);
        Progress progress = Progress.open(progressFile);
        progress.paused(true);
        int brokerPort = TcpBench.freePort();
        String brokerUrl = "tcp://127.0.0.1:" + brokerPort;
        Process module = bench.startModule(name, dir, brokerUrl, name.replace('@', '-') + "-interleaved");
        TcpBench.waitForPort(brokerPort, module, Duration.ofSeconds(90));
        Process reader = bench.startJava(TcpOutcomeReader.class, dir.resolve("reader.log"), brokerUrl,
                progressFile.toString());
        TcpBench.waitForLine(dir.resolve("reader.log"), "READER ready", reader, Duration.ofSeconds(60));
        Process producer = bench.startJava(TcpProducer.class, dir.resolve("producer.log"), brokerUrl,
                progressFile.toString());
        return new Side(name, dir, module, reader, producer, progress);
    }

    private Slice slice(Side s, int pair, List<Side> sides) throws Exception {
        s.progress.paused(false);
        run(s, settle, sides);
        Map<String, long[]> cpuAtStart = TcpBench.cpu(s.pids(bench.bank()));
        long idleAtStart = idleSidesCpu(s, sides);
        long[] machineAtStart = ProcessCpu.machine();
        Map<Long, long[]> threadsAtStart = ProcessCpu.threads(s.module.pid());
        long outcomesAtStart = s.progress.outcomes();
        long t0 = System.nanoTime();
        run(s, measured, sides);
        long outcomes = s.progress.outcomes() - outcomesAtStart;
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, long[]> cpuAtEnd = TcpBench.cpu(s.pids(bench.bank()));
        long idle = idleSidesCpu(s, sides) - idleAtStart;
        long[] machine = TcpBench.minus(ProcessCpu.machine(), machineAtStart);
        Map<Long, long[]> threadsAtEnd = ProcessCpu.threads(s.module.pid());
        pauseAndDrain(s, sides);
        Map<String, long[]> cpu = new LinkedHashMap<>();
        cpuAtEnd.forEach((k, v) -> cpu.put(k, TcpBench.minus(v, cpuAtStart.get(k))));
        Map<String, long[]> groups = new TreeMap<>();
        TcpBench.groupThreads(s.module.pid(), threadsAtStart, threadsAtEnd, cpu.get("module"), groups,
                new TreeMap<>(), seconds);
        return new Slice(s.name, pair, outcomes / seconds, outcomes, cpu, idle, seconds, groups, machine);
    }

    /** CPU (user + system, us) of the processes of the sides that are not running. */
    private static long idleSidesCpu(Side running, List<Side> sides) {
        long us = 0;
        for (Side o : sides) {
            if (o != running) {
                for (Process p : List.of(o.module, o.reader, o.producer)) {
                    long[] c = ProcessCpu.of(p.pid());
                    us += c[0] + c[1];
                }
            }
        }
        return us;
    }

    private static void run(Side s, Duration d, List<Side> sides) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            sides.forEach(Side::check);
            LockSupport.parkNanos(5_000_000);
        }
    }

    /** Holds the side's producer and waits until every message it sent has its outcome. */
    private static void pauseAndDrain(Side s, List<Side> sides) {
        s.progress.paused(true);
        // the producer may be in the middle of a send: let it publish its count
        LockSupport.parkNanos(50_000_000);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (s.progress.outcomes() < s.progress.sent()) {
            sides.forEach(Side::check);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("side " + s.name + " did not drain: " + s.progress.outcomes()
                        + " outcomes of " + s.progress.sent() + " sent");
            }
            LockSupport.parkNanos(5_000_000);
        }
    }

    private static void awaitOutcomes(Side s, long n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (s.progress.outcomes() < n) {
            s.check();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("side " + s.name + ": no outcome after " + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(5_000_000);
        }
    }

    private void stop(Side s) throws Exception {
        TcpBench.destroy(s.producer);
        TcpBench.destroy(s.reader);
        TcpBench.stopModule(s.module);
        s.progress.close();
        String label = s.name.replace('@', '-') + "-interleaved";
        Files.copy(s.dir.resolve("module.log"), TcpBench.OUT.resolve("bench-tcp-" + label + ".log"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        TcpBench.deleteTree(s.dir);
    }

    private void summary(List<String> names, int pairs) {
        System.out.println();
        System.out.printf("%-10s %11s   %s%n", "side", "outcomes/s",
                "CPU per outcome, user + system us: module, bank, producer, reader; idle side's processes per second");
        for (String name : names) {
            List<Slice> ss = side(name);
            long n = ss.stream().mapToLong(Slice::outcomes).sum();
            double seconds = ss.stream().mapToDouble(Slice::seconds).sum();
            StringBuilder cpu = new StringBuilder();
            for (String proc : List.of("module", "bank", "producer", "reader")) {
                long u = ss.stream().mapToLong(x -> x.cpu.get(proc)[0]).sum();
                long sys = ss.stream().mapToLong(x -> x.cpu.get(proc)[1]).sum();
                cpu.append(String.format(Locale.ROOT, "%s %.0f + %.0f  ", proc, (double) u / n, (double) sys / n));
            }
            cpu.append(String.format(Locale.ROOT, "idle side %.0f ms/s",
                    ss.stream().mapToLong(Slice::idleSidesMicros).sum() / 1000.0 / seconds));
            System.out.printf(Locale.ROOT, "%-10s %11.0f   %s%n", name, n / seconds, cpu);
        }
        // Every side against the minimal route when it runs, else against the first side (e.g. the module under two
        // JVM settings).
        String reference = names.contains("minimal") ? "minimal" : names.get(0);
        for (String name : names) {
            if (!name.equals(reference)) {
                printRatio(name, reference, pairs);
            }
        }
        System.out.println();
        System.out.println("module JVM by thread group, user + system us per outcome (summed over the slices):");
        for (String name : names) {
            List<Slice> ss = side(name);
            long n = ss.stream().mapToLong(Slice::outcomes).sum();
            Map<String, long[]> sum = new TreeMap<>();
            ss.forEach(x -> x.groups.forEach((g, v) -> {
                long[] t = sum.computeIfAbsent(g, k -> new long[2]);
                t[0] += v[0];
                t[1] += v[1];
            }));
            System.out.printf("  %s:%n", name);
            sum.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0] + y.getValue()[1],
                            x.getValue()[0] + x.getValue()[1])).limit(10)
                    .forEach(e -> System.out.printf(Locale.ROOT, "    %-40s %5.0f + %4.0f%n", e.getKey(),
                            (double) e.getValue()[0] / n, (double) e.getValue()[1] / n));
        }
    }

    /** {@code side} against {@code reference}: by outcomes/s (sums, and per pair) and by CPU per outcome. */
    private void printRatio(String side, String reference, int pairs) {
        double[] ratios = new double[pairs];
        double[] cpuRatios = new double[pairs];
        StringBuilder each = new StringBuilder();
        for (int pair = 1; pair <= pairs; pair++) {
            Slice a = slice(side, pair);
            Slice b = slice(reference, pair);
            ratios[pair - 1] = a.rate / b.rate;
            cpuRatios[pair - 1] = b.allCpuPerOutcome() / a.allCpuPerOutcome();
            each.append(String.format(Locale.ROOT, "%s%.2f", pair == 1 ? "" : ", ", ratios[pair - 1]));
        }
        String label = reference.equals("minimal") ? "minimal route" : reference;
        System.out.printf(Locale.ROOT, "%n%s / %s, interleaved: %.2f over %d pairs (pairs %s; median %.2f; lowest %.2f, "
                        + "highest %.2f)%n", side, label, rate(side) / rate(reference), pairs, each,
                TcpBench.median(ratios), min(ratios), max(ratios));
        System.out.printf(Locale.ROOT, "by CPU per outcome of the four processes, %s / %s: %.2f (%.0f / %.0f us; median "
                        + "of pairs %.2f)%n", reference, side, allCpu(reference) / allCpu(side), allCpu(reference),
                allCpu(side), TcpBench.median(cpuRatios));
    }

    private List<Slice> side(String name) {
        return slices.stream().filter(s -> s.side.equals(name)).toList();
    }

    private Slice slice(String name, int pair) {
        return slices.stream().filter(s -> s.side.equals(name) && s.pair == pair).findFirst().orElseThrow();
    }

    private double rate(String name) {
        List<Slice> ss = side(name);
        return ss.stream().mapToLong(Slice::outcomes).sum() / ss.stream().mapToDouble(Slice::seconds).sum();
    }

    private double allCpu(String name) {
        List<Slice> ss = side(name);
        return ss.stream().mapToDouble(x -> x.allCpuPerOutcome() * x.outcomes).sum()
                / ss.stream().mapToLong(Slice::outcomes).sum();
    }

    private static double perOutcome(long[] cpu, long outcomes) {
        return (double) (cpu[0] + cpu[1]) / outcomes;
    }

    private static double percent(long[] machine, int i) {
        long all = machine[0] + machine[1] + machine[2];
        return all == 0 ? 0 : 100.0 * machine[i] / all;
    }

    private static double min(double[] v) {
        return java.util.Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return java.util.Arrays.stream(v).max().orElse(Double.NaN);
    }
}
