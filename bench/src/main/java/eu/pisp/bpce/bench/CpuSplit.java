package eu.pisp.bpce.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.sun.management.OperatingSystemMXBean;

/**
 * CPU time of a benchmark phase split by thread group (load generator, Camel and JMS threads of the module, broker
 * and JMS client threads, bank simulator) plus "JVM": process CPU not in a Java thread alive at the end of the phase,
 * i.e. GC, the JIT compiler, and pool threads that ended during the phase (the load threads, which end with each
 * phase, measure their own CPU and are counted as callers).
 */
final class CpuSplit {

    static final String[] GROUPS = {"callers", "module", "broker", "simulator", "other", "JVM"};
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Map<String, Long> nanos = new LinkedHashMap<>();

    /** CPU counters at one instant. */
    record Mark(long process, Map<Long, Long> perThread, Map<Long, String> groups) {
    }

    static Mark mark() {
        Map<Long, Long> cpu = new LinkedHashMap<>();
        Map<Long, String> groups = new LinkedHashMap<>();
        for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (t != null) {
                cpu.put(t.getThreadId(), THREADS.getThreadCpuTime(t.getThreadId()));
                groups.put(t.getThreadId(), group(t.getThreadName()));
            }
        }
        return new Mark(OS.getProcessCpuTime(), cpu, groups);
    }

    /**
     * Adds what was spent since {@code start}; {@code endedCallerThreads}: CPU of load threads that ended meanwhile
     * (measured by themselves), counted as callers.
     */
    void add(Mark start, long endedCallerThreads) {
        Mark end = mark();
        long javaThreads = endedCallerThreads;
        nanos.merge("callers", endedCallerThreads, Long::sum);
        for (Map.Entry<Long, Long> e : end.perThread().entrySet()) {
            long before = start.perThread().getOrDefault(e.getKey(), 0L);
            long spent = Math.max(0, e.getValue() - before);
            javaThreads += spent;
            nanos.merge(end.groups().get(e.getKey()), spent, Long::sum);
        }
        nanos.merge("JVM", Math.max(0, end.process() - start.process() - javaThreads), Long::sum);
    }

    long total() {
        return nanos.values().stream().mapToLong(Long::longValue).sum();
    }

    static String header() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-58s", "phase"));
        for (String g : GROUPS) {
            b.append(String.format(Locale.ROOT, " %9s", g));
        }
        return b.append(String.format(Locale.ROOT, " %9s", "total")).toString();
    }

    String perMessage(String name, int messages) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-58s", name));
        for (String g : GROUPS) {
            b.append(String.format(Locale.ROOT, " %9.0f", messages == 0 ? 0 : nanos.getOrDefault(g, 0L) / 1e3 / messages));
        }
        return b.append(String.format(Locale.ROOT, " %9.0f", messages == 0 ? 0 : total() / 1e3 / messages)).toString();
    }

    /** Thread names: bench-* (load generator, and the module's work done on the caller's thread through direct:). */
    private static String group(String name) {
        if (name.startsWith("bench-") || name.startsWith("main")) {
            return "callers";
        }
        if (name.startsWith("bank-simulator") || name.startsWith("HTTP-Dispatcher")) {
            return "simulator";
        }
        if (name.contains("activemq") || name.contains("Artemis") || name.startsWith("Thread-")) {
            return "broker";
        }
        if (name.startsWith("Camel") || name.contains("pisp")) {
            return "module";
        }
        return "other";
    }
}
