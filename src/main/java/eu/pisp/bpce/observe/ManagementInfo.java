package eu.pisp.bpce.observe;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /observe/info} of the management server, answered by the module: what an operator asks first (which version,
 * how many establishments, which protections are on, when the certificates expire, which send record) besides
 * Camel's own facts. Nothing secret: no path, alias or password of a keystore, no token, no host detail.
 *
 * <p>Installed in front of Camel's own info handler once the management server has started.
 */
public final class ManagementInfo implements StartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementInfo.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the info endpoint says of the module.
     *
     * @param establishments  establishments in the registry
     * @param signing         establishments whose payment requests are signed (STET signature)
     * @param mutualTls       a QWAC client certificate is configured
     * @param brokerEmbedded  the module runs its own broker
     * @param brokerSecurity  that broker's TCP acceptor wants an account
     * @param brokerTls       that acceptor uses TLS
     * @param sendRecordStore {@code file} or {@code jdbc}
     */
    public record Facts(int establishments, long signing, boolean mutualTls, boolean brokerEmbedded,
                        boolean brokerSecurity, boolean brokerTls, String sendRecordStore) {
    }

    private final int port;
    private final String path;
    private final Facts facts;
    private final Certificates certificates;

    public ManagementInfo(int port, String path, Facts facts, Certificates certificates) {
        this.port = port;
        this.path = path;
        this.facts = facts;
        this.certificates = certificates;
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            LOG.warn("No management server on port {}: {} answers with Camel's own facts only", port, path);
            return;
        }
        router.route(path).order(-1).handler(ctx -> {
            String body;
            try {
                body = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer(context));
            } catch (Exception e) {
                ctx.response().setStatusCode(500).end();
                return;
            }
            ctx.response().putHeader("content-type", "application/json").end(body);
        });
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // the management server is ready only once the context has fully started
    }

    Map<String, Object> answer(CamelContext context) {
        Instant now = Instant.now();
        Map<String, Object> pisp = new LinkedHashMap<>();
        pisp.put("version", version());
        pisp.put("establishments", facts.establishments());
        Map<String, Object> security = new LinkedHashMap<>();
        security.put("mutualTls", facts.mutualTls());
        security.put("requestSigning", facts.signing() > 0);
        security.put("signingEstablishments", facts.signing());
        security.put("brokerEmbedded", facts.brokerEmbedded());
        if (facts.brokerEmbedded()) {
            security.put("brokerAuthentication", facts.brokerSecurity());
            security.put("brokerTls", facts.brokerTls());
        }
        pisp.put("security", security);
        List<Map<String, Object>> certs = certificates.all().stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("use", c.use());
            m.put("notAfter", c.notAfter().toString());
            m.put("daysLeft", Duration.between(now, c.notAfter()).toDays());
            m.put("valid", c.validAt(now));
            return m;
        }).toList();
        pisp.put("certificates", certs);
        pisp.put("sendRecordStore", facts.sendRecordStore());

        Map<String, Object> camel = new LinkedHashMap<>();
        camel.put("name", context.getName());
        camel.put("version", context.getVersion());
        camel.put("status", context.getStatus().name());
        camel.put("uptime", context.getUptime().toString());
        camel.put("routes", context.getRoutes().size());

        Map<String, Object> root = new LinkedHashMap<>();
        root.put("pisp", pisp);
        root.put("camel", camel);
        root.put("java", Map.of("version", System.getProperty("java.version")));
        return root;
    }

    /** The module's version, from the build (pisp-version.properties, filtered by Maven). */
    static String version() {
        try (InputStream in = ManagementInfo.class.getResourceAsStream("/pisp-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
