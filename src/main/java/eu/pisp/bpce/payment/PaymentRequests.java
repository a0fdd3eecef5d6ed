package eu.pisp.bpce.payment;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import eu.pisp.bpce.ErrorCode;
import eu.pisp.bpce.PaymentFailedException;
import eu.pisp.bpce.establishment.Masking;
import eu.pisp.bpce.Props;
import org.apache.camel.Exchange;
import org.apache.camel.StreamCache;

/**
 * Checks that a message is a STET {@code PaymentRequestResource} this module can send, before anything goes out.
 * The body itself is never changed: what the bank receives is what the sender queued.
 */
public final class PaymentRequests {

    /** Required by the STET 1.4 PaymentRequestResource definition. */
    static final List<String> REQUIRED_FIELDS = List.of("paymentInformationId", "creationDateTime",
            "numberOfTransactions", "initiatingParty", "paymentTypeInformation", "creditTransferTransaction",
            "supplementaryData");

    private final ObjectMapper mapper;
    private final long maxMessageBytes;

    /**
     * @param maxMessageBytes {@code pisp.max-message-bytes}: larger messages are refused unparsed
     * @param maxNestingDepth {@code pisp.max-json-depth}: deeper JSON is refused by the parser itself
     */
    public PaymentRequests(long maxMessageBytes, int maxNestingDepth) {
        this.maxMessageBytes = maxMessageBytes;
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxNestingDepth).build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    /**
     * Route step: keeps the body as received in property pispOriginalBody, for the failed outcome and for each send.
     * A stream (or stream cache) is read into bytes first, and becomes the body, so that it can be read again.
     */
    public void keepOriginal(Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        if (body instanceof InputStream || body instanceof StreamCache) {
            body = exchange.getMessage().getBody(byte[].class);
            exchange.getMessage().setBody(body);
        }
        exchange.setProperty(Props.ORIGINAL_BODY, body);
    }

    /**
     * Route step: validates the body and sets properties pispPaymentInformationId and pispDebtorIban (null when the
     * payload has none), or fails with INVALID_PAYMENT_REQUEST.
     */
    public void validate(Exchange exchange) {
        PaymentRequestFacts facts = read(exchange.getMessage().getBody(byte[].class));
        exchange.setProperty(Props.PAYMENT_ID, facts.paymentInformationId());
        exchange.setProperty(Props.DEBTOR_IBAN, facts.debtorIban());
        eu.pisp.bpce.observe.LogContext.payment(exchange, facts.paymentInformationId());
    }

    /** Validates the body and returns its key facts, or fails with INVALID_PAYMENT_REQUEST and a readable reason. */
    public PaymentRequestFacts read(byte[] body) {
        if (body == null || body.length == 0) {
            throw invalid("the message body is empty");
        }
        if (body.length > maxMessageBytes) {
            throw invalid("the message body has " + body.length + " bytes, more than pisp.max-message-bytes ("
                    + maxMessageBytes + ")");
        }
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw invalid("the message body is not valid JSON: " + Masking.printable(e.getOriginalMessage()));
        } catch (IOException e) {
            throw invalid("the message body could not be read: " + e.getClass().getSimpleName());
        }
        if (root == null || !root.isObject()) {
            // Only whitespace reads as a missing node.
            boolean empty = root == null || root.isMissingNode();
            throw invalid("the message body is JSON but not an object (" + (empty ? "empty" : root.getNodeType())
                    + "); a STET PaymentRequestResource is expected");
        }
        List<String> problems = new ArrayList<>();
        for (String field : REQUIRED_FIELDS) {
            if (!root.hasNonNull(field)) {
                problems.add("missing " + field);
            }
        }
        JsonNode pid = root.get("paymentInformationId");
        if (pid != null && !pid.isNull() && (!pid.isTextual() || pid.asText().isBlank() || pid.asText().length() > 35)) {
            problems.add("paymentInformationId must be a non-empty string of at most 35 characters");
        }
        checkType(root, "creationDateTime", JsonNode::isTextual, "a string", problems);
        // (beyond 64 bits asLong() wraps around: the sign is read from the BigInteger itself)
        checkType(root, "numberOfTransactions", n -> n.isIntegralNumber()
                && (n.isBigInteger() ? n.bigIntegerValue().signum() > 0 : n.asLong() >= 1), "an integer >= 1", problems);
        checkType(root, "initiatingParty", JsonNode::isObject, "an object", problems);
        checkType(root, "paymentTypeInformation", JsonNode::isObject, "an object", problems);
        checkType(root, "creditTransferTransaction", n -> n.isArray() && !n.isEmpty(), "a non-empty array", problems);
        checkType(root, "supplementaryData", JsonNode::isObject, "an object", problems);
        String debtorIban = null;
        JsonNode debtorAccount = root.get("debtorAccount");
        if (debtorAccount != null && !debtorAccount.isNull()) {
            JsonNode iban = debtorAccount.get("iban");
            if (!debtorAccount.isObject() || (iban != null && !iban.isNull() && !iban.isTextual())) {
                problems.add("debtorAccount.iban must be a string");
            } else if (iban != null && !iban.isNull()) {
                debtorIban = iban.asText();
            }
        }
        if (!problems.isEmpty()) {
            throw invalid("not a valid STET PaymentRequestResource: " + String.join(", ", problems));
        }
        return new PaymentRequestFacts(pid.asText(), debtorIban);
    }

    private static void checkType(JsonNode root, String field, java.util.function.Predicate<JsonNode> ok, String what,
                                  List<String> problems) {
        JsonNode n = root.get(field);
        if (n != null && !n.isNull() && !ok.test(n)) {
            problems.add(field + " must be " + what);
        }
    }

    private static PaymentFailedException invalid(String reason) {
        return new PaymentFailedException(ErrorCode.INVALID_PAYMENT_REQUEST, "Invalid payment request: " + reason);
    }
}
