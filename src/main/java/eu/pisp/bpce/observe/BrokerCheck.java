package eu.pisp.bpce.observe;

import java.util.Map;

import eu.pisp.bpce.broker.BrokerConnectionWatch;
import eu.pisp.bpce.broker.EmbeddedBroker;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: the broker the module consumes from is there. The embedded broker must be active; an existing broker must
 * not have lost the module's connections (they report it as it happens: no call on the health path).
 */
public final class BrokerCheck extends AbstractHealthCheck {

    private final EmbeddedBroker embedded;
    private final BrokerConnectionWatch watch;

    public BrokerCheck(EmbeddedBroker embedded, BrokerConnectionWatch watch) {
        super("pisp", "broker");
        this.embedded = embedded;
        this.watch = watch;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("broker.embedded", embedded != null);
        if (embedded != null && !embedded.active()) {
            builder.message("The embedded broker is not active").down();
        } else if (watch.down()) {
            builder.message("The connection to the broker is lost: reconnecting").down();
        } else {
            builder.up();
        }
    }
}
