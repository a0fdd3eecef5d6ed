package eu.pisp.bpce.security;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import eu.pisp.bpce.PispApplication;
import eu.pisp.bpce.broker.BrokerSecurity;
import eu.pisp.bpce.broker.EmbeddedBroker;
import eu.pisp.bpce.sim.SamplePayments;
import eu.pisp.bpce.support.PispModule;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The embedded broker's TCP acceptor is shut by default: whoever runs on the host cannot initiate payments or read
 * the failed queue's original messages (full IBANs) without the account, and each role does only its part.
 */
class BrokerSecurityTest {

    private static final String INTAKE = "pisp.payment-requests";
    private static final String ACCEPTED = "pisp.payment-requests.accepted";
    private static final String FAILED = "pisp.payment-requests.failed";

    @RegisterExtension
    static final PispModule module = new PispModule();

    @Test
    void anUnauthenticatedProducerIsRefusedAndNothingReachesTheBank() throws Exception {
        for (ActiveMQConnectionFactory intruder : List.of(new ActiveMQConnectionFactory(module.brokerTcpUrl()),
                new ActiveMQConnectionFactory(module.brokerTcpUrl(), PispModule.BROKER_USER, "guessed"),
                new ActiveMQConnectionFactory(module.brokerTcpUrl(), "admin", module.brokerPassword()))) {
            assertThrows(JMSSecurityException.class, () -> sendPayment(intruder, "INTRUDER"));
        }
        // The account's payment, queued after the refused ones, is the first and only one the bank sees: none of
        // the intruders' got into the queue ahead of it.
        sendPayment(module.jmsFactory(), "INVITED");
        PispModule.Outcomes outcomes = module.awaitOutcomes(1, Duration.ofSeconds(30));
        assertEquals(1, outcomes.accepted().size());
        assertTrue(module.noMoreOutcomes(Duration.ofMillis(300)));
        assertEquals(1, module.bank().processedPaymentCount(), "only the account's payment reached the bank");
        assertEquals(List.of(), module.paymentsReceived("INTRUDER"));
    }

    @Test
    void eachRoleDoesOnlyItsPart() throws Exception {
        Path dir = Files.createTempDirectory("pisp-broker-roles");
        String url = "tcp://127.0.0.1:" + freePort();
        EmbeddedBroker broker = new EmbeddedBroker(dir, url, 10, 0, 500_000,
                BrokerSecurity.account("esb", "s3cret-esb".toCharArray(), "sender"), List.of(INTAKE), List.of(ACCEPTED, FAILED));
        broker.start();
        try {
            ActiveMQConnectionFactory sender = new ActiveMQConnectionFactory(url, "esb", "s3cret-esb");
            sendPayment(sender, "ROLE-1");
            // On a busy machine the queue's count may lag the answer to the send: wait for it.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertEquals(1, broker.messageCount(INTAKE), "a sender may queue payment requests"));
            assertThrows(JMSSecurityException.class, () -> consume(sender, FAILED), "nor read the failed queue");
            assertThrows(JMSSecurityException.class, () -> consume(sender, INTAKE), "nor take others' requests");
            assertThrows(JMSSecurityException.class, () -> consume(sender, "DLQ"));
        } finally {
            broker.stop();
        }
        EmbeddedBroker readerOnly = new EmbeddedBroker(dir, url, 10, 0, 500_000,
                BrokerSecurity.account("esb", "s3cret-esb".toCharArray(), "reader"), List.of(INTAKE), List.of(ACCEPTED, FAILED));
        readerOnly.start();
        try {
            ActiveMQConnectionFactory reader = new ActiveMQConnectionFactory(url, "esb", "s3cret-esb");
            consume(reader, ACCEPTED);
            consume(reader, FAILED);
            assertThrows(JMSSecurityException.class, () -> sendPayment(reader, "ROLE-2"), "a reader cannot pay");
            assertEquals(1, readerOnly.messageCount(INTAKE), "still the sender's one");
        } finally {
            readerOnly.stop();
        }
    }

    @Test
    void productionDefaultsRefuseToStartHalfConfigured() throws Exception {
        // The committed defaults (signing on, BPCE's https URLs) with no QSealC and no QWAC: a loud TLS warning, then
        // the start stops naming the signing key's property.
        eu.pisp.bpce.support.StderrCapture logs = eu.pisp.bpce.support.StderrCapture.start();
        Exception noKey;
        try {
            noKey = assertThrows(Exception.class, () -> startModule(Map.of("pisp.broker.password", "s3cret")));
        } finally {
            logs.stop();
        }
        assertTrue(messages(noKey).contains("pisp.signature.keystore.path is empty"), messages(noKey));
        assertTrue(logs.text().contains("SECURITY WARNING: establishments are called over https off this host"),
                "warned about https without a client certificate");

        Exception noPassword = assertThrows(Exception.class, () -> startModule(Map.of("pisp.signature.enabled",
                "false", "pisp.broker.password", "")));
        assertTrue(messages(noPassword).contains("pisp.broker.password is empty"), messages(noPassword));

        IllegalStateException publicPlain = assertThrows(IllegalStateException.class, () -> new EmbeddedBroker(
                Path.of("target/never"), "tcp://0.0.0.0:61616", 10, 0, 500_000,
                BrokerSecurity.account("esb", "x".toCharArray(), "sender"), List.of(INTAKE), List.of()));
        assertTrue(publicPlain.getMessage().contains("pisp.broker.tls.keystore.path"), publicPlain.getMessage());
        assertFalse(BrokerSecurity.account("esb", "pw-not-shown".toCharArray()).toString().contains("pw-not-shown"));
    }

    @Test
    void anAcceptorWithTlsTakesTlsClientsOnly() throws Exception {
        eu.pisp.bpce.support.TestPki pki = eu.pisp.bpce.support.TestPki.shared();
        Path dir = Files.createTempDirectory("pisp-broker-tls");
        // The broker's key and certificate (the test PKI's 127.0.0.1 server certificate).
        Path keystore = dir.resolve("broker.p12");
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("broker", pki.bankServer.keys().getPrivate(), "broker-pw".toCharArray(),
                new java.security.cert.Certificate[] {pki.bankServer.cert(), pki.bankCa.cert()});
        try (var out = Files.newOutputStream(keystore)) {
            ks.store(out, "broker-pw".toCharArray());
        }
        int port = freePort();
        EmbeddedBroker broker = new EmbeddedBroker(dir.resolve("data"), "tcp://127.0.0.1:" + port, 10, 0, 500_000,
                new BrokerSecurity(true, "esb", "s3cret-esb".toCharArray(), java.util.Set.of("sender"),
                        new BrokerSecurity.Tls(keystore.toString(), "broker-pw".toCharArray())),
                List.of(INTAKE), List.of(ACCEPTED, FAILED));
        broker.start();
        try {
            sendPayment(new ActiveMQConnectionFactory("tcp://127.0.0.1:" + port + "?sslEnabled=true;trustStorePath="
                    + pki.truststore + ";trustStorePassword=" + pki.truststorePassword + ";trustStoreType=PKCS12",
                    "esb", "s3cret-esb"), "OVER-TLS");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertEquals(1, broker.messageCount(INTAKE), "a TLS client with the account may send"));
            ActiveMQConnectionFactory plain = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + port
                    + "?callTimeout=2000;initialConnectAttempts=1;reconnectAttempts=0", "esb", "s3cret-esb");
            assertThrows(JMSException.class, () -> sendPayment(plain, "IN-CLEAR"), "no clear-text client");
            assertEquals(1, broker.messageCount(INTAKE));
        } finally {
            broker.stop();
        }
    }

    private static void startModule(Map<String, String> overrides) throws Exception {
        Path dir = Files.createTempDirectory("pisp-broker-nopw");
        Map<String, String> props = new java.util.HashMap<>(Map.of("pisp.client-id", "PSDFR-ACPR-12345",
                "pisp.broker.url", "tcp://127.0.0.1:" + freePort(),
                "pisp.broker.data-dir", dir.resolve("broker").toString(),
                "pisp.send-record.file", dir.resolve("send-record.log").toString(),
                "pisp.management.port", String.valueOf(freePort()), "pisp.broker.user", "esb"));
        props.putAll(overrides);
        Main main = PispApplication.create(props);
        try {
            main.start();
        } finally {
            main.stop();
        }
    }

    private static String messages(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            s.append(c.getMessage()).append(" / ");
        }
        return s.toString();
    }

    private static void sendPayment(ActiveMQConnectionFactory factory, String id) throws JMSException {
        try (Connection c = factory.createConnection()) {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            s.createProducer(s.createQueue(INTAKE)).send(s.createTextMessage(
                    SamplePayments.json(id, SamplePayments.iban("13807", 7))));
        }
    }

    private static void consume(ActiveMQConnectionFactory factory, String queue) throws JMSException {
        try (Connection c = factory.createConnection()) {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer consumer = s.createConsumer(s.createQueue(queue));
            assertNotNull(consumer);
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
