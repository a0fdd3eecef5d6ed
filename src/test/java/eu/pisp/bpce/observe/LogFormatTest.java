package eu.pisp.bpce.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.pisp.bpce.support.StderrCapture;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The production logging configuration (src/main/resources/logback.xml) in both of its formats. */
class LogFormatTest {

    @Test
    void jsonFormatWritesOneObjectPerLineWithThePaymentsIds() throws Exception {
        List<String> lines = logWithPaymentContext("json");
        assertEquals(1, lines.size(), lines.toString());
        JsonNode line = new ObjectMapper().readTree(lines.get(0));
        assertEquals("INFO", line.get("level").asText());
        assertEquals("Payment PI-42 accepted", line.get("formattedMessage").asText());
        assertEquals("PI-42", line.get("mdc").get("paymentInformationId").asText());
        assertEquals("13807", line.get("mdc").get("cdetab").asText());
        assertEquals("ID:1", line.get("mdc").get("JMSMessageID").asText());
    }

    @Test
    void textFormatEndsEachPaymentLineWithItsIds() throws Exception {
        List<String> lines = logWithPaymentContext("text");
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("Payment PI-42 accepted | paymentInformationId=PI-42 cdetab=13807 "
                + "X-Request-ID=rid-1 JMSMessageID=ID:1"), lines.get(0));
    }

    @Test
    void textFormatAddsOnlyTheIdsKnownSoFar() throws Exception {
        List<String> lines = logWithContext("text", exchange -> LogContext.message(exchange, "ID:1", "rid-1"));
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("Payment PI-42 accepted | X-Request-ID=rid-1 JMSMessageID=ID:1"),
                lines.get(0));
    }

    @Test
    void textFormatAddsNothingOutsideAPayment() throws Exception {
        List<String> lines = logWithContext("text", exchange -> { });
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("Payment PI-42 accepted"), lines.get(0));
    }

    @Test
    void textFormatKeepsAnIdThatLooksLikeAnotherKey() throws Exception {
        // The former %replace pattern cut " x=" followed by a space out of a value.
        List<String> lines = logWithContext("text", exchange -> {
            LogContext.message(exchange, "ID:1 x= y", "rid-1");
        });
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith(" | X-Request-ID=rid-1 JMSMessageID=ID:1 x= y"), lines.get(0));
    }

    private static List<String> logWithPaymentContext(String format) throws Exception {
        return logWithContext(format, exchange -> {
            LogContext.message(exchange, "ID:1", "rid-1");
            LogContext.payment(exchange, "PI-42");
            LogContext.establishment(exchange, "13807");
        });
    }

    private static List<String> logWithContext(String format, java.util.function.Consumer<Exchange> setKeys)
            throws Exception {
        LoggerContext context = new LoggerContext();
        // The MDC the module writes to (org.slf4j.MDC), as the default context has it.
        context.setMDCAdapter(org.slf4j.MDC.getMDCAdapter());
        context.putProperty("pisp.log.format", format);
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        StderrCapture capture = StderrCapture.start();
        try {
            configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
            // A warning of logback's about the configuration (e.g. a deprecated attribute) also prints its whole
            // status list at every start.
            List<String> warnings = context.getStatusManager().getCopyOfStatusList().stream()
                    .filter(s -> s.getEffectiveLevel() >= ch.qos.logback.core.status.Status.WARN)
                    .map(Object::toString).toList();
            assertEquals(List.of(), warnings, "logback's warnings about logback.xml (" + format + ")");
            Exchange exchange = new DefaultExchange(new DefaultCamelContext());
            setKeys.accept(exchange);
            context.getLogger("eu.pisp.bpce.Test").info("Payment {} accepted", "PI-42");
        } finally {
            MDC.clear();
            context.stop();
            capture.stop();
        }
        return capture.text().lines().filter(l -> l.contains("PI-42")).toList();
    }
}
