package eu.pisp.bpce.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.support.ModuleProcess;
import eu.pisp.bpce.support.QueueClient;
import jakarta.jms.JMSException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged module as a real process: killed with SIGKILL mid-flight, or stopped with SIGTERM, then started again
 * on the same broker journal and send record. Every message must end on exactly one outcome queue and the bank must
 * never see a paymentInformationId twice.
 */
class CrashSafetyIT {

    private static final List<String> ESTABLISHMENTS = List.of("13807", "17515", "10207", "16807");

    private BankSimulator bank;
    private Path dataDir;
    private Map<String, String> props;
    private QueueClient queues;

    @BeforeEach
    void setUp() throws Exception {
        bank = BankSimulator.start(0);
        dataDir = Files.createTempDirectory("pisp-crash");
        int brokerPort;
        try (ServerSocket s = new ServerSocket(0)) {
            brokerPort = s.getLocalPort();
        }
        props = new HashMap<>();
        props.put("pisp.client-id", "PSDFR-ACPR-12345");
        props.put("pisp.aspsp.base-url-template", bank.baseUrlTemplate());
        props.put("pisp.broker.url", "tcp://127.0.0.1:" + brokerPort);
        props.put("pisp.broker.data-dir", dataDir.resolve("broker").toString());
        props.put("pisp.send-record.file", dataDir.resolve("send-record.log").toString());
        props.put("pisp.broker.redelivery-delay-ms", "0");
        props.put("pisp.signature.enabled", "false");
        props.putAll(QueueClient.brokerAccount());
        queues = new QueueClient(props.get("pisp.broker.url"));
    }

    @AfterEach
    void tearDown() {
        bank.stop();
    }

    @Test
    void killedMidFlightLosesNothingAndSendsNothingTwice() throws Exception {
        bank.paymentLatency(100);
        int total = 400;
        ModuleProcess first = ModuleProcess.start(props, dataDir.resolve("module.log"));
        Set<String> sent = sendPayments("KILL", total);

        // Kill while payments are on their way to the bank (8 consumers, 100 ms each: about 80 per second). The
        // outcomes the first run committed wait on their queues and are read after the restart.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                .until(() -> bank.processedPaymentCount() >= 120);
        first.kill();
        int processedAtKill = bank.processedPaymentCount();

        ModuleProcess second = ModuleProcess.start(props, dataDir.resolve("module.log"));
        collectUntil(total, Duration.ofSeconds(120));
        second.terminate(Duration.ofSeconds(60));

        long unknown = count("OUTCOME_UNKNOWN");
        System.out.printf("CRASH kill -9 when the bank had processed %d of %d; after restart: %d outcomes, "
                        + "%d accepted, %d OUTCOME_UNKNOWN, %d other failures; bank processed %d, max per payment %d%n",
                processedAtKill, total, outcomeCount(), count("ACCEPTED"), unknown,
                outcomeCount() - count("ACCEPTED") - unknown, bank.processedPaymentCount(), bank.maxTimesOnePaymentWasProcessed());

        assertEquals(sent, queues.outcomes().keySet(), "every message has an outcome");
        assertTrue(queues.oneOutcomeEach(), "exactly one outcome per message: "
                + queues.outcomes().entrySet().stream().filter(e -> e.getValue().size() != 1).toList());
        assertEquals(1, bank.maxTimesOnePaymentWasProcessed(), "the bank never saw a paymentInformationId twice");
        assertEquals(total, count("ACCEPTED") + unknown, "a crash leaves a payment accepted or OUTCOME_UNKNOWN");
        assertTrue(processedAtKill < total, "killed mid-flight: the bank had processed " + processedAtKill);
        assertTrue(unknown <= 8 * 2 + 8, "at most the in-flight payments are unknown, saw " + unknown);
    }

    @Test
    void sigtermLetsInFlightPaymentsFinish() throws Exception {
        bank.paymentLatency(300);
        int total = 60;
        ModuleProcess module = ModuleProcess.start(props, dataDir.resolve("module.log"));
        Set<String> sent = sendPayments("TERM", total);
        collectUntil(8, Duration.ofSeconds(60));

        Duration stop = module.terminate(Duration.ofSeconds(45));
        int atStop = outcomeCount();
        ModuleProcess again = ModuleProcess.start(props, dataDir.resolve("module.log"));
        collectUntil(total, Duration.ofSeconds(120));
        again.terminate(Duration.ofSeconds(60));

        System.out.printf("SIGTERM stopped in %d ms with %d outcomes; after restart %d outcomes, %d accepted%n",
                stop.toMillis(), atStop, outcomeCount(), count("ACCEPTED"));
        assertEquals(sent, queues.outcomes().keySet());
        assertTrue(queues.oneOutcomeEach());
        assertEquals(total, count("ACCEPTED"), "a graceful stop makes no payment unknown");
        assertEquals(1, bank.maxTimesOnePaymentWasProcessed());
        assertTrue(stop.toSeconds() < 35, "stopped within camel.main.shutdown-timeout");
    }

    private Set<String> sendPayments(String prefix, int n) throws JMSException {
        return queues.sendPayments(prefix, n, ESTABLISHMENTS);
    }

    private void collectUntil(int target, Duration timeout) throws JMSException {
        queues.collectUntil(target, timeout);
    }

    private int outcomeCount() {
        return queues.count();
    }

    private long count(String code) {
        return queues.count(code);
    }

}
