package eu.pisp.bpce.bench.tcp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/** CPU time of a process and of its threads, from /proc (Linux): user and system, in microseconds. */
final class ProcessCpu {

    /** USER_HZ is 100 on Linux: one tick is 10 ms. */
    private static final long MICROS_PER_TICK = 10_000;

    private ProcessCpu() {
    }

    /** {user, system} of the whole process (every thread, ended ones included); {0, 0} once it is gone. */
    static long[] of(long pid) {
        return read(Path.of("/proc", String.valueOf(pid), "stat"));
    }

    /** {user, system} per live thread id of the process. */
    static Map<Long, long[]> threads(long pid) {
        Map<Long, long[]> cpu = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            tasks.forEach(t -> cpu.put(Long.parseLong(t.getFileName().toString()), read(t.resolve("stat"))));
        } catch (IOException | RuntimeException gone) {
            // the process ended
        }
        return cpu;
    }

    /**
     * The whole machine's CPU ticks from the first line of /proc/stat: {busy (user, nice, system, irq, softirq),
     * idle (idle, iowait), steal (time a virtual machine's CPUs were running someone else)}.
     */
    static long[] machine() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]);
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            return new long[] {busy, idle, steal};
        } catch (IOException | RuntimeException unreadable) {
            return new long[] {0, 0, 0};
        }
    }

    private static long[] read(Path stat) {
        try {
            String s = Files.readString(stat);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // fields 14 (utime) and 15 (stime) of proc(5), counted from the state field (3)
            return new long[] {Long.parseLong(f[11]) * MICROS_PER_TICK, Long.parseLong(f[12]) * MICROS_PER_TICK};
        } catch (IOException | RuntimeException gone) {
            return new long[] {0, 0};
        }
    }
}
