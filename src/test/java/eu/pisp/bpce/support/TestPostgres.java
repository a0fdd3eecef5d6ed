package eu.pisp.bpce.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, throwaway PostgreSQL server for tests, run from the machine's PostgreSQL binaries (no Docker, no embedded
 * library, no in-memory substitute), listening on 127.0.0.1 only.
 * <ul>
 * <li>{@link #shared()}: one server per JVM, started on first use and stopped (data deleted) at JVM exit; or the server
 * named by {@code PISP_TEST_JDBC_URL} ({@code PISP_TEST_JDBC_USER}, {@code PISP_TEST_JDBC_PASSWORD}) if set.</li>
 * <li>{@link #startNew()}: a server of one's own, for tests that stop and start it; close it.</li>
 * </ul>
 * Binaries: {@code PISP_TEST_PG_BIN}, else the newest {@code /usr/lib/postgresql/<version>/bin}. PostgreSQL refuses to
 * run as root, so as root (CI) every server command runs as the {@code postgres} user through {@code runuser}.
 */
public final class TestPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TestPostgres.class);
    private static final String USER = "pisp_test";
    private static final String OS_USER = "postgres";
    /** Bound on every external command: pg_ctl itself gives up after 60 s ({@code -t 60}). */
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicInteger DATABASE_COUNTER = new AtomicInteger();

    private static volatile TestPostgres shared;

    private final boolean managed;
    private final String adminUrl;
    private final String user;
    private final String password;
    private final int port;
    // Managed servers only (null otherwise).
    private final Path pgBin;
    private final boolean asOsUser;
    private final Path baseDir;
    private Thread shutdownHook;

    /** A managed server: the folders exist and the cluster is initialised, not yet started. */
    private TestPostgres(Path pgBin, boolean asOsUser, Path baseDir, String password, int port) {
        this.managed = true;
        this.pgBin = pgBin;
        this.asOsUser = asOsUser;
        this.baseDir = baseDir;
        this.user = USER;
        this.password = password;
        this.port = port;
        this.adminUrl = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** An external server, given by URL. */
    private TestPostgres(String url, String user, String password) {
        this.managed = false;
        this.adminUrl = url;
        this.user = user;
        this.password = password;
        this.port = Integer.parseInt(
                Optional.ofNullable(org.postgresql.Driver.parseURL(url, null)).map(p -> p.getProperty("PGPORT"))
                        .orElse("5432").split(",")[0]);
        this.pgBin = null;
        this.asOsUser = false;
        this.baseDir = null;
    }

    /** The JVM's server: the external one if {@code PISP_TEST_JDBC_URL} is set, else one started now, once. */
    public static synchronized TestPostgres shared() {
        if (shared == null) {
            String url = System.getenv("PISP_TEST_JDBC_URL");
            shared = url != null && !url.isBlank()
                    ? new TestPostgres(url, Optional.ofNullable(System.getenv("PISP_TEST_JDBC_USER")).orElse(USER),
                            Optional.ofNullable(System.getenv("PISP_TEST_JDBC_PASSWORD")).orElse(""))
                    : startNew();
        }
        return shared;
    }

    /** A server of its own (own data folder and port), started; the caller closes it. */
    public static TestPostgres startNew() {
        Path bin = findBinaries();
        boolean asOsUser = runningAsRoot();
        long begin = System.nanoTime();
        try {
            Path base = createFolders(asOsUser);
            String password = HexFormat.of().formatHex(randomBytes(18));
            try {
                initCluster(bin, asOsUser, base, password);
                TestPostgres server = startOnAFreePort(bin, asOsUser, base, password);
                server.registerShutdownHook();
                LOG.info("PostgreSQL ({}) started on 127.0.0.1:{} in {} ms, data in {}", server.version(), server.port,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin), base);
                return server;
            } catch (RuntimeException | IOException e) {
                // A postmaster that started after pg_ctl gave up must not outlive its deleted folder.
                run(osUserCommand(asOsUser, bin.resolve("pg_ctl").toString(), "stop", "-m", "immediate", "-D",
                        dataDir(base)), base);
                deleteRecursively(base);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not set up a test PostgreSQL server", e);
        }
    }

    /** Creates a new, empty database owned by the test user and returns its JDBC URL. */
    public String createDatabase(String prefix) {
        String name = databaseName(prefix);
        String url = managed ? "jdbc:postgresql://127.0.0.1:" + port + "/" + name : withDatabase(adminUrl, name);
        if (url == null) {
            LOG.warn("cannot name a database in {}: tests share its database", adminUrl);
            return adminUrl;
        }
        try (Connection c = DriverManager.getConnection(adminUrl, connectionProperties());
                Statement s = c.createStatement()) {
            // The creator owns the new database: that is the test user (a superuser on a managed server).
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            if (managed) {
                throw new IllegalStateException("CREATE DATABASE " + name + " failed on 127.0.0.1:" + port, e);
            }
            LOG.warn("CREATE DATABASE refused by {} ({}): tests share its database", adminUrl, e.getMessage());
            return adminUrl;
        }
        return url;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public int port() {
        return port;
    }

    /** True when this class started the server (and can stop it); false for {@code PISP_TEST_JDBC_URL}. */
    public boolean managed() {
        return managed;
    }

    /** Stops the server (fast shutdown: open sessions are cut, committed data stays). No-op if already stopped. */
    public void stop() {
        requireManaged("stop");
        if (running()) {
            pgCtl("stop", "-m", "fast", "-w", "-t", "60");
        }
    }

    /** Starts the server again on the same port and data, and returns once it accepts connections. */
    public void start() {
        requireManaged("start");
        if (!running()) {
            startServer(pgBin, asOsUser, baseDir, port);
        }
    }

    /** Managed: whether the postmaster runs ({@code pg_ctl status}). External: whether a connection opens. */
    public boolean running() {
        if (!managed) {
            try {
                DriverManager.getConnection(adminUrl, connectionProperties()).close();
                return true;
            } catch (SQLException e) {
                return false;
            }
        }
        // pg_ctl status: 0 running, 3 not running, 4 no data folder.
        return run(osUserCommand(asOsUser, pgBin.resolve("pg_ctl").toString(), "status", "-D", dataDir(baseDir)),
                baseDir).exitCode == 0;
    }

    /** Stops a managed server and deletes its data; nothing to do for an external server or the shared one. */
    @Override
    public void close() {
        // The shared server serves every test of the JVM: only its shutdown hook stops it.
        if (!managed || (this == shared && Thread.currentThread() != shutdownHook)) {
            return;
        }
        try {
            stop();
        } finally {
            deleteRecursively(baseDir);
            removeShutdownHook();
        }
    }

    // --- Finding the binaries and the user to run them as ---

    private static Path findBinaries() {
        String fromEnv = System.getenv("PISP_TEST_PG_BIN");
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path bin = Path.of(fromEnv);
            if (!Files.isExecutable(bin.resolve("initdb"))) {
                throw new IllegalStateException("PISP_TEST_PG_BIN=" + fromEnv + " has no executable initdb");
            }
            return bin;
        }
        try (Stream<Path> versions = list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> b.getParent().getFileName().toString(), TestPostgres::byVersion))
                    .orElseThrow(() -> new IllegalStateException("No PostgreSQL server binaries found "
                            + "(/usr/lib/postgresql/*/bin/initdb, PISP_TEST_PG_BIN): install the postgresql package "
                            + "(apt-get install postgresql) or set PISP_TEST_JDBC_URL"));
        }
    }

    private static Stream<Path> list(Path dir) {
        try {
            return Files.isDirectory(dir) ? Files.list(dir) : Stream.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compares "9.6", "15", "16" as versions (numerically, part by part), not as text. */
    private static int byVersion(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(i < x.length ? number(x[i]) : 0, i < y.length ? number(y[i]) : 0);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static int number(String s) {
        return s.matches("\\d{1,9}") ? Integer.parseInt(s) : -1;
    }

    /** initdb and postgres refuse to run as root: then they run as the {@code postgres} user. */
    private static boolean runningAsRoot() {
        boolean root = "root".equals(System.getProperty("user.name"))
                || "0".equals(run(List.of("id", "-u"), null).output.strip());
        if (root && run(List.of("id", "-u", OS_USER), null).exitCode != 0) {
            throw new IllegalStateException("Running as root, which PostgreSQL refuses, and there is no '" + OS_USER
                    + "' user to run it as: install the postgresql package (apt-get install postgresql), which "
                    + "creates it, or set PISP_TEST_JDBC_URL");
        }
        return root;
    }

    private static List<String> osUserCommand(boolean asOsUser, String... command) {
        List<String> cmd = new ArrayList<>();
        if (asOsUser) {
            cmd.addAll(List.of("runuser", "-u", OS_USER, "--"));
        }
        cmd.addAll(List.of(command));
        return cmd;
    }

    // --- Setting up and starting a cluster ---

    /**
     * A fresh temp folder with the password file and the socket folder in it (the data folder is created by initdb).
     * As root it is handed to the postgres user, and its parent must let that user through.
     */
    private static Path createFolders(boolean asOsUser) throws IOException {
        Path base = Files.createTempDirectory("pisp-pg-");
        Files.createDirectory(base.resolve("sock"));
        Files.createFile(base.resolve("pwfile"), PosixFilePermissions.asFileAttribute(
                Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
        if (asOsUser) {
            Path parent = base.getParent();
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(parent);
            if (perms.add(PosixFilePermission.OTHERS_EXECUTE)) {
                Files.setPosixFilePermissions(parent, perms);
            }
            check(run(List.of("chown", "-R", OS_USER, base.toString()), null), "chown");
        }
        return base;
    }

    private static void initCluster(Path bin, boolean asOsUser, Path base, String password) throws IOException {
        Path pwfile = base.resolve("pwfile");
        Files.writeString(pwfile, password + "\n");
        try {
            // --no-sync: a throwaway cluster needs no durability, and fsyncing the new files is most of initdb's time.
            List<String> initdb = osUserCommand(asOsUser, bin.resolve("initdb").toString(), "-D", dataDir(base),
                    "-U", USER, "--auth=scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8", "--no-sync");
            List<String> withLocale = new ArrayList<>(initdb);
            withLocale.add("--locale=C.UTF-8");
            Result result = run(withLocale, base);
            if (result.exitCode != 0) {
                // C.UTF-8 is missing on some systems: the C locale is as good for tests. initdb removes the
                // data folder it created when it fails.
                LOG.info("initdb --locale=C.UTF-8 failed, retrying with --no-locale: {}", result.output.strip());
                List<String> noLocale = new ArrayList<>(initdb);
                noLocale.add("--no-locale");
                check(run(noLocale, base), "initdb");
            }
        } finally {
            Files.deleteIfExists(pwfile);
        }
    }

    /** A free port can be taken by someone else before the server binds it: try another one, a few times. */
    private static TestPostgres startOnAFreePort(Path bin, boolean asOsUser, Path base, String password)
            throws IOException {
        IllegalStateException failure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            try {
                startServer(bin, asOsUser, base, port);
                return new TestPostgres(bin, asOsUser, base, password, port);
            } catch (IllegalStateException e) {
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                failure = e;
                if (!readLog(base).contains("could not bind")) {
                    break;
                }
            }
        }
        throw failure;
    }

    /** pg_ctl -w returns once the server accepts connections (or fails after 60 s). */
    private static void startServer(Path bin, boolean asOsUser, Path base, int port) {
        // fsync=off: the data is thrown away, a crash of the machine loses nothing of value, and tests run faster.
        // The socket folder is our own: /var/run/postgresql may not exist or be writable, and is shared.
        String options = "-p " + port + " -c listen_addresses=127.0.0.1 -k '" + base.resolve("sock")
                + "' -c fsync=off -c max_connections=200";
        Result result = run(osUserCommand(asOsUser, bin.resolve("pg_ctl").toString(), "start", "-D", dataDir(base),
                "-l", base.resolve("server.log").toString(), "-w", "-t", "60", "-o", options), base);
        if (result.exitCode != 0) {
            throw new IllegalStateException("PostgreSQL did not start on 127.0.0.1:" + port + ": " + result
                    + "\n--- server log (" + base.resolve("server.log") + ") ---\n" + tail(readLog(base)));
        }
    }

    private void pgCtl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(pgBin.resolve("pg_ctl").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-D", dataDir(baseDir)));
        Result result = run(osUserCommand(asOsUser, cmd.toArray(String[]::new)), baseDir);
        if (result.exitCode != 0) {
            throw new IllegalStateException(result + "\n--- server log ---\n" + tail(readLog(baseDir)));
        }
    }

    private String version() {
        return run(List.of(pgBin.resolve("postgres").toString(), "--version"), baseDir).output.strip();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static String dataDir(Path base) {
        return base.resolve("data").toString();
    }

    // --- Stopping at JVM exit ---

    /** Safety net for a server nobody closed (and the way the shared one stops): stop it and delete its data. */
    private void registerShutdownHook() {
        shutdownHook = new Thread(() -> {
            try {
                close();
            } catch (RuntimeException e) {
                System.err.println("TestPostgres: could not stop the server on port " + port + ": " + e);
            }
        }, "test-postgres-" + port + "-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private void removeShutdownHook() {
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway, and close() is harmless twice
            }
        }
    }

    // --- Running commands ---

    private record Result(List<String> command, int exitCode, String output) {
        @Override
        public String toString() {
            return String.join(" ", command) + " exited with " + exitCode + ":\n" + output.strip();
        }
    }

    /**
     * Runs a command with a bounded wait and returns its exit code and output. The output goes to a file, not a pipe,
     * so a background child that inherits it (the postmaster started by pg_ctl) can never make us wait.
     */
    private static Result run(List<String> command, Path workDir) {
        Path out = null;
        try {
            out = Files.createTempFile("pisp-pg-cmd-", ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            // As the postgres user, the caller's folder (e.g. /root/...) may be unreadable: work in our own folder.
            if (workDir != null) {
                builder.directory(workDir.toFile());
            }
            // PGPORT, PGDATA, PGHOST... of the caller must not redirect our commands.
            builder.environment().keySet().removeIf(k -> k.startsWith("PG"));
            Process process = builder.start();
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                        + COMMAND_TIMEOUT.toSeconds() + " s; output so far:\n" + Files.readString(out));
            }
            return new Result(command, process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            if (out != null) {
                out.toFile().delete();
            }
        }
    }

    private static void check(Result result, String what) {
        if (result.exitCode != 0) {
            throw new IllegalStateException(what + " failed: " + result);
        }
    }

    // --- Small helpers ---

    private void requireManaged(String action) {
        if (!managed) {
            throw new IllegalStateException("cannot " + action + " the external server " + adminUrl
                    + " (PISP_TEST_JDBC_URL): only servers started by TestPostgres can be stopped and started");
        }
    }

    private Properties connectionProperties() {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "10");
        p.setProperty("socketTimeout", "60");
        return p;
    }

    /** prefix_7_3fa9c1: lowercase letters, digits and underscores, starting with a letter, at most 63 characters. */
    private static String databaseName(String prefix) {
        String clean = (prefix == null ? "" : prefix).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.isEmpty() || !Character.isLetter(clean.charAt(0))) {
            clean = "db_" + clean;
        }
        String suffix = "_" + DATABASE_COUNTER.incrementAndGet() + "_" + HexFormat.of().formatHex(randomBytes(3));
        return clean.substring(0, Math.min(clean.length(), 63 - suffix.length())) + suffix;
    }

    /** The same URL (host, port, parameters) with another database; null if the URL is not of that form. */
    private static String withDatabase(String url, String database) {
        Matcher m = Pattern.compile("^(jdbc:postgresql://[^/?]*/)([^?]*)(.*)$").matcher(url);
        if (m.matches()) {
            return m.group(1) + database + m.group(3);
        }
        m = Pattern.compile("^(jdbc:postgresql://[^/?]*)(\\?.*)?$").matcher(url);
        if (m.matches()) {
            return m.group(1) + "/" + database + (m.group(2) == null ? "" : m.group(2));
        }
        return null;
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static String readLog(Path base) {
        try {
            Path log = base.resolve("server.log");
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(server log unreadable: " + e + ")";
        }
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }
}
