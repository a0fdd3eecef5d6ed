package eu.pisp.bpce.support;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import eu.pisp.bpce.sim.BankSimulator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For each test: a bank simulator answering payments in 100-150 ms, a broker URL on a free port, a folder, the JMS
 * client of the rest of the ESB and a launcher of packaged instances; everything stopped after the test. Register it
 * with {@code @RegisterExtension final InstancesOnOneBroker topology = new InstancesOnOneBroker();}.
 */
public final class InstancesOnOneBroker implements BeforeEachCallback, AfterEachCallback {

    private BankSimulator bank;
    private Path dataDir;
    private String brokerUrl;
    private QueueClient queues;
    private InstanceLauncher instances;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        bank = BankSimulator.start(0).paymentLatency(100, 150);
        dataDir = Files.createTempDirectory("pisp-instances");
        try (ServerSocket s = new ServerSocket(0)) {
            brokerUrl = "tcp://127.0.0.1:" + s.getLocalPort();
        }
        queues = new QueueClient(brokerUrl);
        instances = new InstanceLauncher(dataDir, bank, brokerUrl);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        instances.close();
        bank.stop();
    }

    public BankSimulator bank() {
        return bank;
    }

    public Path dataDir() {
        return dataDir;
    }

    public String brokerUrl() {
        return brokerUrl;
    }

    public QueueClient queues() {
        return queues;
    }

    public InstanceLauncher instances() {
        return instances;
    }
}
