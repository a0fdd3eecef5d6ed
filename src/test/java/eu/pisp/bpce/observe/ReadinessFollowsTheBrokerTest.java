package eu.pisp.bpce.observe;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import eu.pisp.bpce.PispApplication;
import eu.pisp.bpce.PispConfiguration;
import eu.pisp.bpce.broker.BrokerSecurity;
import eu.pisp.bpce.broker.EmbeddedBroker;
import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.support.QueueClient;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The module on an existing broker (here a real Artemis broker in the test's JVM, reached over TCP with an account):
 * stopping the broker makes the instance "not ready" (503), not "dead"; when the broker is back it is ready again by
 * itself and consumes again. With the default file send record it warns at start that another instance on that broker
 * would send a dead instance's payment again (the file store's documented limit).
 */
class ReadinessFollowsTheBrokerTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void readyAnswers503WhileTheBrokerIsStoppedAnd200WhenItIsBack() throws Exception {
        Path dir = Files.createTempDirectory("pisp-readiness");
        String brokerUrl = "tcp://127.0.0.1:" + freePort();
        int managementPort = freePort();
        BankSimulator bank = BankSimulator.start(0);
        EmbeddedBroker broker = broker(dir, brokerUrl);
        broker.start();
        Map<String, String> props = new HashMap<>(QueueClient.brokerAccount());
        props.put("pisp.client-id", "PSDFR-ACPR-12345");
        props.put("pisp.signature.enabled", "false");
        props.put("pisp.aspsp.base-url-template", bank.baseUrlTemplate());
        props.put("pisp.broker.embedded", "false");
        props.put("pisp.broker.url", brokerUrl);
        props.put("pisp.send-record.file", dir.resolve("send-record.log").toString());
        props.put("pisp.management.port", String.valueOf(managementPort));
        ListAppender<ILoggingEvent> startLog = new ListAppender<>();
        Logger configurationLog = (Logger) LoggerFactory.getLogger(PispConfiguration.class);
        startLog.start();
        configurationLog.addAppender(startLog);
        Main main = PispApplication.create(props);
        try {
            main.start();
        } finally {
            configurationLog.detachAppender(startLog);
        }
        String base = "http://127.0.0.1:" + managementPort + "/observe/health";
        try {
            assertTrue(startLog.list.stream().anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage()
                            .startsWith("pisp.broker.embedded=false with pisp.send-record.store=file: the send record is local")),
                    "an instance on an existing broker with the file store warns at start");
            await().atMost(Duration.ofSeconds(30)).until(() -> status(base + "/ready") == 200);

            broker.stop();
            await().atMost(Duration.ofSeconds(20)).until(() -> status(base + "/ready") == 503);
            assertEquals(200, status(base + "/live"), "a broker outage is not a reason to restart the module");

            broker = broker(dir, brokerUrl);
            broker.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> status(base + "/ready") == 200);
            QueueClient queues = new QueueClient(brokerUrl);
            queues.sendPayments("AFTER-RESTART", 3, List.of("13807"));
            queues.collectUntil(3, Duration.ofSeconds(30));
            assertEquals(3, queues.count("ACCEPTED"), "consuming again: " + queues.summary());
        } finally {
            main.stop();
            broker.stop();
            bank.stop();
        }
    }

    private static EmbeddedBroker broker(Path dir, String url) {
        return new EmbeddedBroker(dir.resolve("broker"), url, 10, 0, 500_000,
                BrokerSecurity.account(QueueClient.USER, QueueClient.PASSWORD.toCharArray(),
                        QueueClient.ROLES.split(",")),
                List.of(QueueClient.INTAKE), List.of(QueueClient.INTAKE + ".accepted", QueueClient.INTAKE + ".failed"));
    }

    private static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
