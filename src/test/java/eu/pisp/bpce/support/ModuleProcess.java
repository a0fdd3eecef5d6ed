package eu.pisp.bpce.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged module ({@code java -jar target/bpce-pisp-routes.jar}) as a separate process, started in the project
 * folder with {@code -D} overrides, so that tests can kill it (SIGKILL) or stop it (SIGTERM) for real.
 */
public final class ModuleProcess {

    private final Process process;
    private final Path log;

    private ModuleProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts the jar and waits until Camel reports it started. */
    public static ModuleProcess start(Map<String, String> properties, Path log) throws IOException {
        String jar = System.getProperty("pisp.jar", "target/bpce-pisp-routes.jar");
        // Tests start many short-lived instances, several at once, on a machine that may be busy: the client
        // compiler only and a serial collector make each boot cost a fraction of the CPU (what the tests check, the
        // messages, the send record and the bank's view, does not depend on the JIT or the collector), and a class
        // archive of the jar spares each boot most of its class loading (ClassArchive).
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ClassArchive.jvmOptions(jar));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        if (!properties.containsKey("pisp.concurrent-consumers")) {
            // The tests' workloads and in-flight counts were sized for 8 consumers (the default, 16, was measured
            // for the TCP path).
            cmd.add("-Dpisp.concurrent-consumers=8");
        }
        if (!properties.containsKey("pisp.management.port")) {
            // Several instances run at once: each its own management server on a free port.
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                cmd.add("-Dpisp.management.port=" + s.getLocalPort());
            }
        }
        cmd.add("-jar");
        cmd.add(jar);
        Files.createDirectories(log.getParent());
        long offset = Files.exists(log) ? Files.size(log) : 0;
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        ModuleProcess module = new ModuleProcess(p, log);
        // A boot takes seconds; on a loaded machine, with other instances booting, far more: the bound is a hang's.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("The module exited with " + p.exitValue() + "; see " + log);
            }
            String text = Files.readString(log);
            return text.length() > offset && text.substring((int) offset).contains("(bpce-pisp-routes) started in");
        });
        return module;
    }

    /** kill -9: no shutdown hook, no graceful stop. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM: Camel's graceful shutdown; returns how long the process took to exit. */
    public Duration terminate(Duration atMost) throws InterruptedException {
        long t0 = System.nanoTime();
        process.destroy();
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("The module did not stop within " + atMost + "; see " + log);
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    public int exitValue() {
        return process.exitValue();
    }

    public Path log() {
        return log;
    }
}
