package eu.pisp.bpce.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A class-data-sharing archive of the packaged jar (JDK AppCDS) for the instances the integration tests start: they
 * start about thirty, and each boot spent most of its CPU loading and verifying the same classes (measured on a 2-core
 * machine: 4.7 s of CPU and 3.6 s to "started" without the archive, 2.9 s and 2.1 s with it). Nothing the tests check
 * depends on it: the JVM maps the classes it would otherwise load from the jar.
 *
 * <p>Made once per jar, by one boot of the jar in demo mode, stopped (SIGTERM) once its first payments are accepted:
 * the JVM writes the archive as it exits. The failsafe JVMs share it: the first takes a file lock and makes it, the others
 * wait for it. If it cannot be made the instances start without it (slower, same behaviour).
 */
public final class ClassArchive {

    private static final List<String> JVM = List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private static Optional<Path> archive;

    private ClassArchive() {
    }

    /** The JVM options of a module instance: the tests' light JIT and collector, and the archive when there is one. */
    public static synchronized List<String> jvmOptions(String jar) {
        if (archive == null) {
            archive = make(Path.of(jar).toAbsolutePath());
        }
        List<String> options = new ArrayList<>(JVM);
        archive.ifPresent(a -> options.add("-XX:SharedArchiveFile=" + a));
        return options;
    }

    private static Optional<Path> make(Path jar) {
        Path target = jar.resolveSibling(jar.getFileName() + ".jsa");
        try (FileChannel lockFile = FileChannel.open(jar.resolveSibling(jar.getFileName() + ".jsa.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
            if (Files.exists(target) && Files.getLastModifiedTime(target).compareTo(Files.getLastModifiedTime(jar)) > 0) {
                return Optional.of(target);
            }
            Path dir = Files.createTempDirectory("pisp-class-archive");
            // Written beside the jar, then renamed: another JVM never maps a half-written archive.
            Path written = jar.resolveSibling(jar.getFileName() + ".jsa.new");
            Files.deleteIfExists(written);
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(JVM);
            cmd.add("-XX:ArchiveClassesAtExit=" + written);
            // The demo loads what a payment loads (broker, routes, token, HTTP, send record), on ports of its own.
            cmd.add("-Dpisp.demo.enabled=true");
            cmd.add("-Dpisp.demo.bank-port=" + freePort());
            cmd.add("-Dpisp.broker.url=tcp://127.0.0.1:" + freePort());
            cmd.add("-Dpisp.management.port=" + freePort());
            cmd.add("-Dpisp.broker.data-dir=" + dir.resolve("broker"));
            cmd.add("-Dpisp.send-record.file=" + dir.resolve("send-record.log"));
            cmd.add("-jar");
            cmd.add(jar.toString());
            Path log = dir.resolve("boot.log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            // Until its first payments are accepted (their classes loaded too), then a graceful stop (SIGTERM): the
            // JVM writes the archive as it exits.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (p.isAlive() && System.nanoTime() < deadline && !Files.readString(log).contains("accepted by")) {
                p.waitFor(200, TimeUnit.MILLISECONDS);
            }
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
                Files.deleteIfExists(written);
            }
            if (!Files.exists(written) || Files.size(written) == 0) {
                System.out.println("ClassArchive: no archive (see " + log + "); instances start without one");
                return Optional.empty();
            }
            Files.move(written, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return Optional.of(target);
        } catch (IOException e) {
            System.out.println("ClassArchive: " + e + "; instances start without an archive");
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
