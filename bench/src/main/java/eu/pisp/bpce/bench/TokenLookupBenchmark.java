package eu.pisp.bpce.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import eu.pisp.bpce.PispApplication;
import eu.pisp.bpce.sim.BankSimulator;
import eu.pisp.bpce.token.AccessToken;
import eu.pisp.bpce.token.TokenCache;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.Main;
import org.apache.camel.support.DefaultExchange;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** The token lookup hot path on a cache hit: the Caffeine cache itself, and the get-token route around it. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TokenLookupBenchmark {

    private BankSimulator bank;
    private Main module;
    private TokenCache tokens;
    private ProducerTemplate template;

    @Setup(Level.Trial)
    public void start() throws Exception {
        bank = BankSimulator.start(0).keepReceived(0);
        Path data = Files.createTempDirectory("pisp-jmh");
        Map<String, String> props = new HashMap<>();
        props.put("pisp.client-id", "PSDFR-ACPR-12345");
        props.put("pisp.aspsp.base-url-template", bank.baseUrlTemplate());
        props.put("pisp.broker.embedded", "false");
        props.put("pisp.source.uri", "direct:unused-source");
        props.put("pisp.send-record.file", data.resolve("send-record.log").toString());
        // The simulator checks no signature; the management server is not measured here.
        props.put("pisp.signature.enabled", "false");
        props.put("camel.management.enabled", "false");
        module = PispApplication.create(props);
        module.start();
        tokens = module.getCamelContext().getRegistry().lookupByNameAndType("tokenCache", TokenCache.class);
        template = module.getCamelContext().createProducerTemplate();
        tokens.get("13807");
    }

    @TearDown(Level.Trial)
    public void stop() {
        module.stop();
        bank.stop();
    }

    /** Caffeine get on a cached establishment. */
    @Benchmark
    public AccessToken cacheHit() {
        return tokens.get("13807");
    }

    /** The direct:get-token route (caffeine-loadcache producer, freshness and refresh-ahead checks). */
    @Benchmark
    public Object getTokenRoute() {
        Exchange ex = new DefaultExchange(module.getCamelContext());
        ex.setProperty("pispCdetab", "13807");
        template.send("direct:get-token", ex);
        return ex.getProperty("pispToken");
    }
}
