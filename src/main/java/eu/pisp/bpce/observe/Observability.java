package eu.pisp.bpce.observe;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;

import eu.pisp.bpce.broker.BrokerConnectionWatch;
import eu.pisp.bpce.broker.EmbeddedBroker;
import eu.pisp.bpce.establishment.EstablishmentRegistry;
import eu.pisp.bpce.resilience.EstablishmentBreakers;
import eu.pisp.bpce.sendrecord.SendRecord;
import eu.pisp.bpce.sendrecord.SendRecordStore;
import eu.pisp.bpce.token.TokenCache;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;

/**
 * Wires what an operator sees: the module's metrics into the beans that know (token cache, send record, circuits),
 * the bank call timer, the health checks and the info endpoint. Camel's management server, its route metrics and the
 * Prometheus endpoint come from the {@code camel.management.*} and {@code camel.metrics.*} keys.
 */
public final class Observability {

    /** The name Camel's Micrometer support looks the registry up by: Camel's and the module's meters in one. */
    public static final String REGISTRY_NAME = "metricsRegistry";
    /** The route configuration of the sub-routes of an operation (routes/error-handling.yaml). */
    static final String BUILDING_BLOCK = "pisp-building-block";

    /**
     * What the wiring needs from the configuration.
     *
     * @param metricsEnabled {@code pisp.metrics.enabled}
     * @param routeExclude   {@code pisp.metrics.route-exclude-pattern}: routes without Camel route metrics
     * @param broker         the embedded broker, or null
     * @param queues         the queues whose depth is a metric (intake, outcomes, DLQ): embedded broker only
     */
    public record Parts(boolean metricsEnabled, String routeExclude, EstablishmentRegistry registry, TokenCache tokens, SendRecord sendRecord,
                        SendRecordStore store, EstablishmentBreakers breakers, EmbeddedBroker broker,
                        BrokerConnectionWatch brokerWatch, Set<String> queues, Certificates certificates) {
    }

    private Observability() {
    }

    /** Binds the metrics bean {@code pispMetrics} (the route step of publish-outcome), the checks and the notifier. */
    public static PispMetrics install(CamelContext context, Parts parts, ManagementInfo info) throws Exception {
        MeterRegistry meters;
        if (parts.metricsEnabled()) {
            // One registry for Camel's meters and the module's: Camel's if its metrics service made it already,
            // else ours, which Camel then finds under this name.
            PrometheusMeterRegistry prometheus = context.getRegistry().lookupByNameAndType(REGISTRY_NAME,
                    PrometheusMeterRegistry.class);
            if (prometheus == null) {
                prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                context.getRegistry().bind(REGISTRY_NAME, prometheus);
            }
            meters = prometheus;
        } else {
            // Not bound: an empty composite makes every meter a no-op (nothing recorded, next to no cost).
            meters = new CompositeMeterRegistry();
        }
        PispMetrics metrics = new PispMetrics(meters, parts.registry());
        context.getRegistry().bind("pispMetrics", metrics);

        parts.tokens().setEvents(metrics);
        metrics.tokenSource(parts.tokens()::current);
        parts.sendRecord().setEvents(metrics);
        parts.breakers().setOnRejected(metrics::circuitRejected);
        if (parts.metricsEnabled()) {
            context.getManagementStrategy().addEventNotifier(new BankCallTimer(metrics));
            routeMetrics(context, meters, parts.routeExclude());
            gauges(context, parts, metrics);
        }

        ExecutorService prober = context.getExecutorServiceManager().newSingleThreadExecutor(Observability.class,
                "pisp-health-send-record");
        bind(context, new ConsumersRunningCheck());
        bind(context, new BrokerCheck(parts.broker(), parts.brokerWatch()));
        bind(context, new SendRecordCheck(parts.store(), prober));
        bind(context, new RegistryCheck(parts.registry()));
        bind(context, new CertificatesCheck(parts.certificates()));
        bind(context, new EstablishmentsCheck(parts.breakers(), metrics));
        if (info != null) {
            context.addStartupListener(info);
        }
        return metrics;
    }

    /**
     * Camel's route metrics (what camel.metrics.enable-route-policy gives) for the routes a message enters by and any
     * route of its own error handling; not for the building blocks (routeConfigurationId pisp-building-block: the
     * sub-steps of one operation, about ten per payment, whose timing cost throughput), nor for the routes of
     * {@code pisp.metrics.route-exclude-pattern}.
     */
    private static void routeMetrics(CamelContext context, MeterRegistry meters, String exclude) throws Exception {
        MicrometerRoutePolicyFactory factory = new MicrometerRoutePolicyFactory() {
            @Override
            public org.apache.camel.spi.RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId,
                                                                      org.apache.camel.NamedNode definition) {
                if (definition instanceof org.apache.camel.model.RouteDefinition route
                        && BUILDING_BLOCK.equals(route.getRouteConfigurationId())) {
                    return null;
                }
                return super.createRoutePolicy(camelContext, routeId, definition);
            }
        };
        factory.setMeterRegistry(meters);
        factory.getPolicyConfiguration().setContextEnabled(true);
        factory.getPolicyConfiguration().setRouteEnabled(true);
        if (exclude != null && !exclude.isBlank()) {
            factory.getPolicyConfiguration().setExcludePattern(exclude.replace(" ", ""));
        }
        context.addService(factory);
        context.addRoutePolicyFactory(factory);
    }

    private static void gauges(CamelContext context, Parts parts, PispMetrics metrics) {
        // In flight: the payments inside the route every payment passes once (Camel counts exchanges per route anyway):
        // process-payment-request where the in-process entry wraps it, else initiate-payment.
        metrics.gauge("pisp.payments.in.flight", "payments being processed now", null,
                () -> context.getInflightRepository().size(context.getRoute("process-payment-request") != null
                        ? "process-payment-request" : "initiate-payment"));
        for (String cdetab : parts.registry().all().keySet()) {
            metrics.gauge("pisp.circuit.state", "circuit of the establishment: 0 closed, 1 open, 2 half-open", null,
                    () -> circuitValue(parts.breakers().states().get(cdetab)), "cdetab", cdetab);
        }
        if (parts.broker() != null) {
            for (String queue : new LinkedHashSet<>(parts.queues())) {
                metrics.gauge("pisp.broker.queue.messages", "messages in a queue of the embedded broker", null, () -> {
                    long n = parts.broker().messageCount(queue);
                    return n < 0 ? Double.NaN : n;
                }, "queue", queue);
            }
        }
    }

    private static int circuitValue(CircuitBreaker.State state) {
        if (state == null || state == CircuitBreaker.State.CLOSED) {
            return 0;
        }
        return switch (state) {
            case OPEN, FORCED_OPEN -> 1;
            case HALF_OPEN -> 2;
            default -> 3;
        };
    }

    private static void bind(CamelContext context, org.apache.camel.impl.health.AbstractHealthCheck check) {
        context.getRegistry().bind("pisp-health-" + check.getId(), check);
    }
}
