package eu.pisp.bpce.observe;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import eu.pisp.bpce.resilience.EstablishmentBreakers;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Each establishment the module has called: its circuit and its token, as details of the health answer
 * ({@code /observe/health?data=true}). Always UP: one bank down fails its own payments fast (circuit), it must not take
 * the instance out of the load balancer for every other bank. Reads what the module already knows: no bank call.
 */
public final class EstablishmentsCheck extends AbstractHealthCheck {

    private final EstablishmentBreakers breakers;
    private final PispMetrics metrics;

    public EstablishmentsCheck(EstablishmentBreakers breakers, PispMetrics metrics) {
        super("pisp", "establishments");
        this.breakers = breakers;
        this.metrics = metrics;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Instant now = Instant.now();
        Map<String, CircuitBreaker.State> circuits = breakers.states();
        TreeSet<String> called = new TreeSet<>(circuits.keySet());
        called.addAll(metrics.tokenEstablishments());
        called.remove(PispMetrics.NONE);
        List<String> impaired = new ArrayList<>();
        for (String cdetab : called) {
            CircuitBreaker.State state = circuits.getOrDefault(cdetab, CircuitBreaker.State.CLOSED);
            builder.detail(cdetab + ".circuit", state.name());
            builder.detail(cdetab + ".token", metrics.tokenSummary(cdetab, now));
            boolean failing = metrics.tokenEndpointFailing(cdetab);
            if (state != CircuitBreaker.State.CLOSED || failing) {
                impaired.add(cdetab + (state != CircuitBreaker.State.CLOSED ? " (circuit " + state + ")" : "")
                        + (failing ? " (token endpoint failing)" : ""));
            }
        }
        builder.detail("establishments.called", called.size());
        builder.message(impaired.isEmpty() ? "No establishment impaired"
                : impaired.size() + " establishment(s) impaired: " + String.join(", ", impaired));
        builder.up();
    }
}
