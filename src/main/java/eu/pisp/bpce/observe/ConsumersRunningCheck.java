package eu.pisp.bpce.observe;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Liveness: every route that should run, runs (its consumer with it). Camel's own context check says the context is
 * started; this one adds the routes, so a consumer that stopped (and will not come back by itself) restarts the pod.
 * Nothing outside the process is asked: a broker or bank outage never makes the module "not alive".
 */
public final class ConsumersRunningCheck extends AbstractHealthCheck {

    public ConsumersRunningCheck() {
        super("pisp", "consumers-running");
    }

    @Override
    public boolean isLiveness() {
        return true;
    }

    @Override
    public boolean isReadiness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        List<String> stopped = new ArrayList<>();
        int running = 0;
        for (Route route : getCamelContext().getRoutes()) {
            if (!route.isAutoStartup()) {
                continue; // off on purpose (the demo routes in production)
            }
            ServiceStatus status = getCamelContext().getRouteController().getRouteStatus(route.getRouteId());
            if (status == ServiceStatus.Started) {
                running++;
            } else {
                stopped.add(route.getRouteId() + " " + status);
            }
        }
        builder.detail("routes.running", running);
        if (stopped.isEmpty()) {
            builder.up();
        } else {
            builder.message("Routes not running: " + String.join(", ", stopped)).down();
        }
    }
}
