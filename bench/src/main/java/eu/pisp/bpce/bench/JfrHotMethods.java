package eu.pisp.bpce.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the time goes, from a JFR recording: for the execution samples of the threads whose name matches a pattern,
 * the share of samples in which each method is on the stack (inclusive), highest first.
 *
 * <p>Usage: {@code JfrHotMethods <recording.jfr> <thread-name-regex> [lines] [method-filter-regex]}.
 */
public final class JfrHotMethods {

    public static void main(String[] args) throws Exception {
        Pattern threads = Pattern.compile(args[1]);
        int lines = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        Pattern show = Pattern.compile(args.length > 3 ? args[3] : ".*");
        Map<String, Integer> inclusive = new HashMap<>();
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedThread t = e.getThread("sampledThread");
            String name = t == null || t.getJavaName() == null ? "" : t.getJavaName();
            if (!threads.matcher(name).matches()) {
                continue;
            }
            samples++;
            Set<String> onStack = new HashSet<>();
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                String m = f.getMethod().getType().getName() + "." + f.getMethod().getName();
                if (onStack.add(m)) {
                    inclusive.merge(m, 1, Integer::sum);
                }
            }
        }
        int total = samples;
        System.out.printf("%d execution samples of threads matching '%s'; share of samples with the method on the "
                + "stack:%n", total, threads);
        inclusive.entrySet().stream()
                .filter(x -> show.matcher(x.getKey()).find())
                .sorted((x, y) -> y.getValue() - x.getValue())
                .limit(lines)
                .forEach(x -> System.out.printf(Locale.ROOT, "%6.1f%%  %s%n", 100.0 * x.getValue() / total, x.getKey()));
    }
}
