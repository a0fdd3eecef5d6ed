package eu.pisp.bpce.payment;

import java.util.HashMap;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultMessage;

/**
 * Replaces a transport-backed message (a camel-jms {@code JmsMessage}) with a plain copy of its body and headers.
 * Camel copies the message before every step that may be redelivered; copying a JmsMessage re-reads the JMS message
 * each time, which the benchmark measured at several milliseconds of CPU per payment. The transaction, the
 * acknowledgement and the JMSReplyTo answer stay with the consumer and are not affected.
 */
public final class PlainMessage implements Processor {

    @Override
    public void process(Exchange exchange) {
        Message in = exchange.getMessage();
        if (in.getClass() == DefaultMessage.class) {
            return;
        }
        DefaultMessage plain = new DefaultMessage(exchange);
        plain.setBody(in.getBody());
        plain.setHeaders(new HashMap<>(in.getHeaders()));
        plain.setMessageId(in.getMessageId());
        exchange.setMessage(plain);
    }
}
