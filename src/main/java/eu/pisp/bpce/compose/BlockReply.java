package eu.pisp.bpce.compose;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Makes a building block composable with a plain {@code to:}. A block's own error handling ends every failure as a
 * failed outcome, and Camel then stops the caller's route as well (the exchange is marked "handled by an error
 * handler"). The public {@code direct:} blocks therefore run their work with {@code enrich} on a copy of the exchange
 * and bring back only its message (the outcome, body and headers): the caller carries on with its next step whatever
 * the outcome, as with any other endpoint. An exception nobody handled still reaches the caller (Camel's enrich
 * copies it back without calling this strategy).
 */
public final class BlockReply implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange caller, Exchange block) {
        if (block == null) {
            return caller;
        }
        caller.setMessage(block.getMessage().copy());
        return caller;
    }
}
