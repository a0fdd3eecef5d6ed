package eu.pisp.bpce.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The payment's logging context lives as long as its exchange, on a real Camel route (no MDC unit of work). */
class LogContextTest {

    private final List<String> seenByLaterSteps = new ArrayList<>();

    @AfterEach
    void clearThread() {
        MDC.clear();
    }

    @Test
    void theKeysReachTheLaterStepsAndAreGoneWhenTheExchangeIsDone() throws Exception {
        try (CamelContext camel = routeThatSetsTheContext()) {
            camel.createProducerTemplate().sendBody("direct:payment", "body");
            assertEquals(List.of("PI-7 13807 ID:9"), seenByLaterSteps, "a later step of the same exchange");
            assertNull(MDC.get(LogContext.PAYMENT_ID), "nothing left for the thread's next message");
            assertNull(MDC.get(LogContext.CDETAB));
            assertNull(MDC.get(LogContext.MESSAGE_ID));
            assertNull(MDC.get(LogContext.REQUEST_ID));
        }
    }

    @Test
    void theKeysAreGoneAfterAFailedExchangeToo() throws Exception {
        try (CamelContext camel = routeThatSetsTheContext()) {
            camel.createProducerTemplate().send("direct:payment", e -> e.getMessage().setBody("fail"));
            assertNull(MDC.get(LogContext.PAYMENT_ID));
        }
    }

    @Test
    void aNewMessageDoesNotInheritTheLastOnesPayment() throws Exception {
        MDC.put(LogContext.PAYMENT_ID, "PI-OLD");
        try (CamelContext camel = new DefaultCamelContext()) {
            LogContext.message(new org.apache.camel.support.DefaultExchange(camel), "ID:1", "rid");
            assertNull(MDC.get(LogContext.PAYMENT_ID));
            assertEquals("ID:1", MDC.get(LogContext.MESSAGE_ID));
        }
    }

    private CamelContext routeThatSetsTheContext() throws Exception {
        CamelContext camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:payment")
                        .process(e -> LogContext.message(e, "ID:9", "rid-9"))
                        .process(e -> LogContext.payment(e, "PI-7"))
                        .process(e -> LogContext.establishment(e, "13807"))
                        .process(e -> seenByLaterSteps.add(MDC.get(LogContext.PAYMENT_ID) + " "
                                + MDC.get(LogContext.CDETAB) + " " + MDC.get(LogContext.MESSAGE_ID)))
                        .filter(body().isEqualTo("fail")).throwException(new IllegalStateException("refused"));
            }
        });
        camel.start();
        return camel;
    }
}
