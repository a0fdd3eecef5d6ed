package eu.pisp.bpce.sim;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** The payment requests the simulator keeps, by resource id, at most {@code max}: the oldest are forgotten first. */
final class PaymentRequestStore {

    static final int DEFAULT_MAX = 50_000;

    private final ConcurrentHashMap<String, StoredPaymentRequest> byId = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> arrivalOrder = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private volatile int max = DEFAULT_MAX;

    void max(int max) {
        this.max = Math.max(0, max);
        evict();
    }

    void add(StoredPaymentRequest request) {
        if (max == 0) {
            return;
        }
        if (byId.put(request.resourceId, request) == null) {
            arrivalOrder.add(request.resourceId);
            size.incrementAndGet();
        }
        evict();
    }

    private void evict() {
        while (size.get() > max) {
            String oldest = arrivalOrder.poll();
            if (oldest == null) {
                return;
            }
            if (byId.remove(oldest) != null) {
                size.decrementAndGet();
            }
        }
    }

    StoredPaymentRequest get(String resourceId) {
        return resourceId == null ? null : byId.get(resourceId);
    }

    Collection<StoredPaymentRequest> all() {
        return byId.values();
    }

    int size() {
        return size.get();
    }

    void clear() {
        byId.clear();
        arrivalOrder.clear();
        size.set(0);
    }
}
