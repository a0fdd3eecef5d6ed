package eu.pisp.bpce.observe;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import eu.pisp.bpce.sendrecord.SendRecordStore;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: the send record can be written (without it nothing may be sent). The store's own probe (a file that can
 * be written; a database that answers and is not read-only) runs on one thread of its own with a time limit, so that
 * the health answer stays under a second when the database hangs.
 */
public final class SendRecordCheck extends AbstractHealthCheck {

    private static final long LIMIT_MS = 500;

    private final SendRecordStore store;
    private final ExecutorService prober;
    private volatile CompletableFuture<String> running;

    public SendRecordCheck(SendRecordStore store, ExecutorService prober) {
        super("pisp", "send-record");
        this.store = store;
        this.prober = prober;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("send-record.store", store.kind());
        CompletableFuture<String> probe = running;
        if (probe == null || probe.isDone()) {
            probe = CompletableFuture.supplyAsync(store::writeProblem, prober);
            running = probe; // a probe still hanging is waited for again, not started twice
        }
        try {
            String problem = probe.get(LIMIT_MS, TimeUnit.MILLISECONDS);
            if (problem == null) {
                builder.up();
            } else {
                builder.message("The send record cannot be written: " + problem).down();
            }
        } catch (TimeoutException e) {
            builder.message("The send record gave no answer within " + LIMIT_MS + " ms").down();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            builder.down();
        } catch (java.util.concurrent.ExecutionException e) {
            builder.message("The send record check failed: " + e.getCause().getClass().getSimpleName()).down();
        }
    }
}
