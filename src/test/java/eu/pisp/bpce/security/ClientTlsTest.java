package eu.pisp.bpce.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

import eu.pisp.bpce.support.TestPki;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.junit.jupiter.api.Test;

/** How pisp.tls.* becomes Camel SSLContextParameters. */
class ClientTlsTest {

    private static final TestPki PKI = TestPki.shared();

    @Test
    void nothingConfiguredLeavesTheHttpComponentsAlone() {
        assertNull(ClientTls.create(new ClientTls.Settings("", new char[0], "", " ", new char[0])));
    }

    @Test
    void offersOnlyTls12And13AndPresentsTheConfiguredAlias() throws Exception {
        SSLContextParameters params = ClientTls.create(settings(PKI.qwacKeystore.toString(), PKI.qwacPassword, "qwac"));
        assertNotNull(params);
        assertEquals("qwac", params.getCertAlias());
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            SSLContext ctx = params.createSSLContext(camel);
            SSLEngine engine = ctx.createSSLEngine("127.0.0.1", 443);
            engine.setUseClientMode(true);
            assertEquals(Set.of("TLSv1.2", "TLSv1.3"), Set.of(engine.getEnabledProtocols()));
            assertEquals(Set.of("TLSv1.2", "TLSv1.3"), Set.of(((javax.net.ssl.SSLSocket) ctx.getSocketFactory()
                    .createSocket()).getEnabledProtocols()));
        }
        assertFalse(params.toString().contains(PKI.qwacPassword), "SSLContextParameters.toString masks passwords");
        assertFalse(params.toString().contains(PKI.truststorePassword));
    }

    @Test
    void wrongPasswordOrAliasStopsTheStartWithoutShowingThePassword() {
        String wrong = "wrong-" + PKI.qwacPassword;
        IllegalStateException pw = assertThrows(IllegalStateException.class,
                () -> ClientTls.create(settings(PKI.qwacKeystore.toString(), wrong, "qwac")));
        assertTrue(pw.getMessage().contains("wrong pisp.tls.keystore.password"), pw.getMessage());
        assertFalse(pw.getMessage().contains(wrong));

        IllegalStateException alias = assertThrows(IllegalStateException.class,
                () -> ClientTls.create(settings(PKI.qwacKeystore.toString(), PKI.qwacPassword, "qsealc")));
        assertTrue(alias.getMessage().contains("pisp.tls.keystore.alias 'qsealc'"), alias.getMessage());

        IllegalStateException noPassword = assertThrows(IllegalStateException.class,
                () -> ClientTls.create(settings(PKI.qwacKeystore.toString(), "", "qwac")));
        assertTrue(noPassword.getMessage().contains("pisp.tls.keystore.password is empty"));

        IllegalStateException trust = assertThrows(IllegalStateException.class, () -> ClientTls.create(
                new ClientTls.Settings("", new char[0], "", PKI.truststore.toString(), "nope".toCharArray())));
        assertTrue(trust.getMessage().contains("wrong pisp.tls.truststore.password"), trust.getMessage());
    }

    private static ClientTls.Settings settings(String keystore, String password, String alias) {
        return new ClientTls.Settings(keystore, password.toCharArray(), alias, PKI.truststore.toString(),
                PKI.truststorePassword.toCharArray());
    }
}
