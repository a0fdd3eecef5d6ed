package eu.pisp.bpce.support;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import eu.pisp.bpce.sim.BankSimulator;

/**
 * Starts packaged instances of the module ({@link ModuleProcess}) that share one broker, one bank simulator and one
 * send record, each with its own instance id, folder and log; kills what is still running at the end.
 */
public final class InstanceLauncher implements AutoCloseable {

    /**
     * Runs a task on a thread of its own: the common pool has a single thread on 2 cores, where one test's background
     * sending would queue behind another's.
     */
    public static final java.util.concurrent.Executor OWN_THREAD = task -> {
        Thread t = new Thread(task, "test-background");
        t.setDaemon(true);
        t.start();
    };

    private final Path dataDir;
    private final Map<String, String> common = new HashMap<>();
    private final List<ModuleProcess> running = java.util.Collections.synchronizedList(new ArrayList<>());

    /**
     * @param dataDir   where the instances keep their logs, broker journal and file send records
     * @param bank      the bank every establishment points at
     * @param brokerUrl the broker's TCP acceptor (hosted by one instance, or by the test)
     */
    public InstanceLauncher(Path dataDir, BankSimulator bank, String brokerUrl) {
        this.dataDir = dataDir;
        common.put("pisp.client-id", "PSDFR-ACPR-12345");
        common.put("pisp.aspsp.base-url-template", bank.baseUrlTemplate());
        common.put("pisp.broker.url", brokerUrl);
        common.put("pisp.broker.data-dir", dataDir.resolve("broker").toString());
        common.put("pisp.broker.redelivery-delay-ms", "0");
        common.put("pisp.signature.enabled", "false");
        // The hosting instance lets the test's ESB client and the other instances in; the others connect with it.
        common.putAll(QueueClient.brokerAccount());
    }

    /** Every instance started from now on uses the jdbc send record on this database. */
    public InstanceLauncher jdbcStore(String url, String user, String password) {
        common.put("pisp.send-record.store", "jdbc");
        common.put("pisp.send-record.jdbc.url", url);
        common.put("pisp.send-record.jdbc.user", user);
        common.put("pisp.send-record.jdbc.password", password);
        return this;
    }

    /** Every instance started from now on uses the file send record (one file per instance name). */
    public InstanceLauncher fileStore() {
        common.put("pisp.send-record.store", "file");
        return this;
    }

    public InstanceLauncher with(String key, String value) {
        common.put(key, value);
        return this;
    }

    /**
     * Starts instance {@code id} (its log: {@code instance-<id>.log}); {@code hostsBroker} makes it start the
     * embedded broker on the broker URL. A restarted instance keeps the first letter of its id for its file store.
     */
    public ModuleProcess start(String id, boolean hostsBroker) throws IOException {
        Map<String, String> props = new HashMap<>(common);
        props.put("pisp.instance-id", id);
        props.put("pisp.broker.embedded", String.valueOf(hostsBroker));
        props.put("pisp.send-record.file", dataDir.resolve("send-record-" + id.charAt(0) + ".log").toString());
        ModuleProcess p = ModuleProcess.start(props, log(id));
        running.add(p);
        return p;
    }

    /**
     * Starts instances {@code ids} side by side (none of them hosting the broker) and returns once all have started,
     * in the order given.
     */
    public List<ModuleProcess> startTogether(String... ids) throws IOException {
        List<java.util.concurrent.CompletableFuture<ModuleProcess>> starting = new ArrayList<>();
        for (String id : ids) {
            starting.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return start(id, false);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, OWN_THREAD));
        }
        List<ModuleProcess> started = new ArrayList<>();
        for (java.util.concurrent.CompletableFuture<ModuleProcess> f : starting) {
            try {
                started.add(f.join());
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof java.io.UncheckedIOException io) {
                    throw io.getCause();
                }
                throw e;
            }
        }
        return started;
    }

    public Path log(String id) {
        return dataDir.resolve("instance-" + id + ".log");
    }

    /** kill -9 of one instance. */
    public void kill(ModuleProcess p) throws InterruptedException {
        p.kill();
        running.remove(p);
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (running) {
            for (ModuleProcess p : running) {
                p.kill();
            }
            running.clear();
        }
    }
}
