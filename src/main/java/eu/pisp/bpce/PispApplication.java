package eu.pisp.bpce;

import java.util.Map;

import eu.pisp.bpce.sim.BankSimulator;
import org.apache.camel.main.Main;

/**
 * Starts the module: Camel Main with {@code config/application.properties} and the YAML routes of {@code routes/},
 * both read from the working directory. {@code -Dkey=value} and environment variables override the file.
 *
 * <p>With {@code pisp.demo.enabled=true} it also starts the local bank simulator and points every establishment at it.
 */
public final class PispApplication {

    /** Where the properties are read from unless {@code -Dpisp.config=...} says otherwise. */
    public static final String DEFAULT_CONFIG = "config/application.properties";

    private PispApplication() {
    }

    public static void main(String[] args) throws Exception {
        Main main = create(Map.of());
        if (Boolean.parseBoolean(setting("pisp.demo.enabled", "false"))) {
            int port = Integer.parseInt(setting("pisp.demo.bank-port", "18089"));
            // A bank whose customers approve and whose payments execute within seconds; one sample is rejected.
            BankSimulator bank = BankSimulator.demoLifecycle(BankSimulator.start(port));
            main.addOverrideProperty("pisp.aspsp.base-url-template", bank.baseUrlTemplate());
            // The example flow (routes/examples/): pay, track to the final status, log each change.
            main.addOverrideProperty("camel.main.routes-include-pattern",
                    "file:routes/*.yaml,file:routes/examples/*.yaml");
            main.addOverrideProperty("pisp.demo.send-to", "{{pisp.example.orders.uri}}");
            main.addOverrideProperty("pisp.tracking.schedule", setting("pisp.tracking.schedule", "2s"));
            if (setting("pisp.client-id", "").isBlank()) {
                main.addOverrideProperty("pisp.client-id", "PSDFR-ACPR-12345");
            }
            // The demo opens what production keeps shut, explicitly and only where not set otherwise: the simulator
            // checks no signature (no QSealC needed), and any local process may use the broker's TCP acceptor.
            demoDefault(main, "pisp.signature.enabled", "false");
            demoDefault(main, "pisp.broker.security.enabled", "false");
            Runtime.getRuntime().addShutdownHook(new Thread(bank::stop, "bank-simulator-stop"));
        }
        main.run(args);
    }

    /**
     * A Camel Main configured as in production. Tests use this too, with overrides (ports, folders, the simulator).
     */
    public static Main create(Map<String, String> overrides) {
        Main main = new Main();
        main.setPropertyPlaceholderLocations("file:" + setting("pisp.config", DEFAULT_CONFIG));
        main.configure().addConfiguration(PispConfiguration.class);
        overrides.forEach(main::addOverrideProperty);
        return main;
    }

    private static void demoDefault(Main main, String key, String value) {
        if (System.getProperty(key) == null
                && System.getenv(key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_')) == null) {
            main.addOverrideProperty(key, value);
        }
    }

    /** A setting from a system property or its environment variable (PISP_DEMO_ENABLED for pisp.demo.enabled). */
    private static String setting(String key, String defaultValue) {
        String v = System.getProperty(key);
        if (v == null) {
            v = System.getenv(key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        return v == null ? defaultValue : v;
    }
}
