package eu.pisp.bpce.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import eu.pisp.bpce.broker.EmbeddedBroker;
import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.support.InstanceLauncher;
import eu.pisp.bpce.support.InstancesOnOneBroker;
import eu.pisp.bpce.support.QueueClient;
import eu.pisp.bpce.support.TestPostgres;
import jakarta.jms.JMSException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What two packaged instances on the shared send record do when the infrastructure they share goes away under load:
 * the broker restarts, or PostgreSQL stops for a while. Nothing is lost, nothing is sent twice, and the work resumes
 * by itself.
 */
class SharedInfrastructureOutageIT {

    private static final List<String> ESTABLISHMENTS = List.of("13807", "17515", "10207");
    private static final int TOTAL = 400;

    @RegisterExtension
    final InstancesOnOneBroker topology = new InstancesOnOneBroker();

    private BankSimulator bank;
    private Path dataDir;
    private String brokerUrl;
    private QueueClient queues;
    private InstanceLauncher instances;

    @BeforeEach
    void setUp() {
        bank = topology.bank();
        dataDir = topology.dataDir();
        brokerUrl = topology.brokerUrl();
        queues = topology.queues();
        instances = topology.instances();
    }

    @Test
    void aBrokerRestartUnderLoadLosesNothingSendsNothingTwiceAndConsumptionResumes() throws Exception {
        // The broker runs on its own (here, in the test's JVM), both instances connect to it.
        EmbeddedBroker broker = broker();
        broker.start();
        String db = TestPostgres.shared().createDatabase("brokerrestart");
        instances.jdbcStore(db, TestPostgres.shared().user(), TestPostgres.shared().password());
        instances.start("A", false);
        instances.start("B", false);

        // All queued before the stop (the sender is not what this test is about); the processing takes longer.
        Set<String> sent = queues.sendPayments("RESTART", TOTAL, ESTABLISHMENTS);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                .until(() -> bank.processedPaymentCount() >= 120);
        long sizeA = Files.size(instances.log("A"));
        long sizeB = Files.size(instances.log("B"));
        broker.stop();
        int processedAtStop = bank.processedPaymentCount();
        await().atMost(Duration.ofSeconds(10)).until(() -> newLines(instances.log("A"), sizeA, "Lost the connection "
                + "to the broker") == 1 && newLines(instances.log("B"), sizeB, "Lost the connection to the broker") == 1);
        // Away for a few seconds: the instances keep trying to reconnect.
        await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5)).until(() -> true);
        int processedWhileAway = bank.processedPaymentCount() - processedAtStop;
        // The stop hit 16 payments in flight at 100-150 ms; what is left after the restart is only drained (the
        // assertions do not depend on its pace), so the bank answers it faster.
        bank.paymentLatency(10, 20);
        broker = broker();
        broker.start();
        try {
            queues.collectUntil(TOTAL, Duration.ofSeconds(180));
            // What the outage itself logged: everything but the one line per payment outcome.
            long linesA = newLines(instances.log("A"), sizeA, "") - newLines(instances.log("A"), sizeA, "outcome - ");
            long linesB = newLines(instances.log("B"), sizeB, "") - newLines(instances.log("B"), sizeB, "outcome - ");

            System.out.printf("BROKER RESTART: stopped when the bank had processed %d of %d, %d more while it was "
                            + "away; after the restart %d outcomes %s; bank processed %d, max per payment %d; log lines "
                            + "from the stop to the end: A %d, B %d%n", processedAtStop, TOTAL, processedWhileAway,
                    queues.count(), queues.summary(), bank.processedPaymentCount(), bank.maxTimesOnePaymentWasProcessed(), linesA, linesB);
            assertEquals(sent, queues.outcomes().keySet(), "every message has an outcome");
            assertTrue(queues.oneOutcomeEach(), "exactly one outcome per message");
            assertEquals(1, bank.maxTimesOnePaymentWasProcessed(), "the bank never saw a paymentInformationId twice");
            assertEquals(TOTAL, queues.count("ACCEPTED") + queues.count("OUTCOME_UNKNOWN"), queues.summary());
            assertTrue(bank.processedPaymentCount() > processedAtStop + processedWhileAway + 100,
                    "consumption resumed after the restart");
            assertEquals(1, newLines(instances.log("A"), sizeA, "Reconnected to the broker"));
            assertEquals(1, newLines(instances.log("B"), sizeB, "Reconnected to the broker"));
            // What was left is shared by both instances: no consumer takes requests ahead of the others
            // (pisp.broker.consumer-window-size=0). With Artemis' 1 MiB window, the first consumers to come back took
            // the whole rest, and B processed none of it.
            long afterA = linesAfter(instances.log("A"), sizeA, "Reconnected to the broker", "accepted by establishment");
            long afterB = linesAfter(instances.log("B"), sizeB, "Reconnected to the broker", "accepted by establishment");
            System.out.printf("BROKER RESTART: accepted after the reconnection: A %d, B %d%n", afterA, afterB);
            assertTrue(afterA + afterB > 100, "payments accepted after the restart: " + afterA + " + " + afterB);
            assertTrue(Math.min(afterA, afterB) >= (afterA + afterB) / 5, "both instances drain what is left after "
                    + "the restart: A " + afterA + ", B " + afterB);
            // Once away, once back, and one line per transaction in flight (8 consumers per instance) at most.
            assertTrue(linesA <= 2 + 2 * 8 + 4 && linesB <= 2 + 2 * 8 + 4, "the outage is logged a few times, not "
                    + "once per message: " + linesA + " / " + linesB + " lines");
        } finally {
            broker.stop();
        }
    }

    @Test
    void postgresStoppedUnderLoadSendsNothingWithoutAClaimLosesNothingAndResumes() throws Exception {
        try (TestPostgres pg = TestPostgres.startNew()) {
            String db = pg.createDatabase("pgstop");
            instances.jdbcStore(db, pg.user(), pg.password());
            instances.start("A", true);
            instances.start("B", false);

            CompletableFuture<Set<String>> sending = sendInBackground("PGSTOP");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> bank.processedPaymentCount() >= 120);
            pg.stop();
            int processedAtStop = bank.processedPaymentCount();
            await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(6)).until(() -> true);
            int processedWhileDown = bank.processedPaymentCount() - processedAtStop;
            pg.start();
            Set<String> sent = sending.get(120, TimeUnit.SECONDS);
            queues.collectUntil(TOTAL, Duration.ofSeconds(180));

            Set<String> claimed = claimedPayments(db, pg);
            Set<String> sentWithoutClaim = new HashSet<>();
            bank.processedPayments().keySet().forEach(key -> {
                String id = key.substring(key.indexOf('/') + 1);
                if (!claimed.contains(id)) {
                    sentWithoutClaim.add(id);
                }
            });
            System.out.printf("POSTGRES STOP: stopped for 5 s when the bank had processed %d of %d (%d more while it "
                            + "was down, claimed before); %d outcomes %s; bank processed %d, max per payment %d; sent "
                            + "without a claim: %d%n", processedAtStop, TOTAL, processedWhileDown, queues.count(),
                    queues.summary(), bank.processedPaymentCount(), bank.maxTimesOnePaymentWasProcessed(), sentWithoutClaim.size());
            assertEquals(sent, queues.outcomes().keySet(), "every message has an outcome");
            assertTrue(queues.oneOutcomeEach(), "exactly one outcome per message");
            assertEquals(1, bank.maxTimesOnePaymentWasProcessed());
            assertEquals(Set.of(), sentWithoutClaim, "no payment reached the bank without a committed claim");
            assertEquals(TOTAL, queues.count("ACCEPTED") + queues.count("SEND_RECORD_UNAVAILABLE"), queues.summary());
            for (String failed : queues.withOutcome("SEND_RECORD_UNAVAILABLE")) {
                assertTrue(bank.processedPayments().keySet().stream().noneMatch(k -> k.endsWith("/" + failed)),
                        failed + " failed as SEND_RECORD_UNAVAILABLE but reached the bank");
            }
            assertTrue(bank.processedPaymentCount() > processedAtStop + processedWhileDown + 100,
                    "payments flow again once PostgreSQL is back");
        }
    }

    private CompletableFuture<Set<String>> sendInBackground(String prefix) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return queues.sendPayments(prefix, TOTAL, ESTABLISHMENTS);
            } catch (JMSException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private EmbeddedBroker broker() {
        // Security on, as in production: the instances and the test's ESB client connect with the test account.
        return new EmbeddedBroker(dataDir.resolve("broker"), brokerUrl, 10, 0, 500_000,
                eu.pisp.bpce.broker.BrokerSecurity.account(QueueClient.USER, QueueClient.PASSWORD.toCharArray(),
                        QueueClient.ROLES.split(",")),
                List.of(QueueClient.INTAKE), List.of(QueueClient.INTAKE + ".accepted", QueueClient.INTAKE + ".failed"));
    }

    private static Set<String> claimedPayments(String db, TestPostgres pg) throws Exception {
        Set<String> ids = new HashSet<>();
        try (Connection c = DriverManager.getConnection(db, pg.user(), pg.password()); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT payment_information_id FROM pisp_send_record")) {
            while (r.next()) {
                ids.add(r.getString(1));
            }
        }
        return ids;
    }

    /** Lines containing {@code text} written to the log after the first line containing {@code mark} past offset from. */
    private static long linesAfter(Path log, long from, String mark, String text) throws IOException {
        String all = Files.readString(log);
        List<String> lines = all.substring((int) Math.min(from, all.length())).lines().toList();
        int start = 0;
        while (start < lines.size() && !lines.get(start).contains(mark)) {
            start++;
        }
        return lines.subList(Math.min(start, lines.size()), lines.size()).stream().filter(l -> l.contains(text)).count();
    }

    /** Lines written to the log since offset {@code from} that contain {@code text}. */
    private static long newLines(Path log, long from, String text) throws IOException {
        String all = Files.readString(log);
        return all.substring((int) Math.min(from, all.length())).lines().filter(l -> l.contains(text)).count();
    }

}
