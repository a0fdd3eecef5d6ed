package eu.pisp.bpce.observe;

import java.util.Map;

import eu.pisp.bpce.establishment.EstablishmentRegistry;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness: the establishment registry is loaded (without it every payment fails as UNKNOWN_ESTABLISHMENT). */
public final class RegistryCheck extends AbstractHealthCheck {

    private final EstablishmentRegistry registry;

    public RegistryCheck(EstablishmentRegistry registry) {
        super("pisp", "establishment-registry");
        this.registry = registry;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        int n = registry.all().size();
        builder.detail("establishments", n);
        if (n > 0) {
            builder.up();
        } else {
            builder.message("No establishment in the registry").down();
        }
    }
}
