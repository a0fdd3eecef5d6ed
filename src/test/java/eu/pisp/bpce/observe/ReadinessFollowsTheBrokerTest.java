package eu.pisp.bpce.observe;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

import eu.pisp.bpce.PispApplication;
import eu.pisp.bpce.broker.BrokerSecurity;
import eu.pisp.bpce.broker.EmbeddedBroker;
import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.support.QueueClient;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

/**
 * The module on an existing broker (here a real Artemis broker in the test's JVM, reached over TCP with an account):
 * stopping the broker makes the instance "not ready" (503), not "dead"; when the broker is back it is ready again by
 * itself and consumes again.
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
        Main main = PispApplication.create(props);
        main.start();
        String base = "http://127.0.0.1:" + managementPort + "/observe/health";
        try {
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
