package eu.pisp.bpce.payment;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
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

    private final JsonFactory factory;
    private final long maxMessageBytes;

    /**
     * @param maxMessageBytes {@code pisp.max-message-bytes}: larger messages are refused unparsed
     * @param maxNestingDepth {@code pisp.max-json-depth}: deeper JSON is refused by the parser itself
     */
    public PaymentRequests(long maxMessageBytes, int maxNestingDepth) {
        this.maxMessageBytes = maxMessageBytes;
        this.factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxNestingDepth).build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
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
        // One pass of the streaming parser, no tree: the whole document is still read (syntax, UTF-8, duplicate keys
        // at every level, nesting depth, trailing content), but only the top-level fields are looked at. A Jackson
        // tree per payment was about a tenth of a consumer thread's CPU on the TCP path (bench/run.sh tcp, JFR).
        Fields fields;
        try (JsonParser parser = factory.createParser(body)) {
            fields = Fields.of(parser);
        } catch (JsonProcessingException e) {
            throw invalid("the message body is not valid JSON: " + Masking.printable(e.getOriginalMessage()));
        } catch (IOException e) {
            throw invalid("the message body could not be read: " + e.getClass().getSimpleName());
        }
        if (fields.rootType != null) {
            throw invalid("the message body is JSON but not an object (" + fields.rootType
                    + "); a STET PaymentRequestResource is expected");
        }
        List<String> problems = new ArrayList<>();
        for (String field : REQUIRED_FIELDS) {
            if (!fields.present.contains(field)) {
                problems.add("missing " + field);
            }
        }
        String pid = fields.paymentInformationId;
        if (fields.present.contains("paymentInformationId") && (pid == null || pid.isBlank() || pid.length() > 35)) {
            problems.add("paymentInformationId must be a non-empty string of at most 35 characters");
        }
        for (String[] check : TYPE_CHECKS) {
            if (fields.wrongType.contains(check[0])) {
                problems.add(check[0] + " must be " + check[1]);
            }
        }
        if (fields.debtorIbanNotText) {
            problems.add("debtorAccount.iban must be a string");
        }
        if (!problems.isEmpty()) {
            throw invalid("not a valid STET PaymentRequestResource: " + String.join(", ", problems));
        }
        return new PaymentRequestFacts(pid, fields.debtorIban);
    }

    /** The typed fields, in the order their problems are reported, and what each must be. */
    private static final String[][] TYPE_CHECKS = {
            {"creationDateTime", "a string"},
            {"numberOfTransactions", "an integer >= 1"},
            {"initiatingParty", "an object"},
            {"paymentTypeInformation", "an object"},
            {"creditTransferTransaction", "a non-empty array"},
            {"supplementaryData", "an object"}};

    /** What one pass over the document found at its top level (a JSON null counts as absent). */
    private static final class Fields {
        /** Null for an object, else the kind of value the document is (ARRAY, STRING, NULL...). */
        String rootType;
        final java.util.Set<String> present = new java.util.HashSet<>();
        final java.util.Set<String> wrongType = new java.util.HashSet<>();
        String paymentInformationId;
        String debtorIban;
        boolean debtorIbanNotText;

        static Fields of(JsonParser p) throws IOException {
            Fields f = new Fields();
            JsonToken token = p.nextToken();
            if (token != JsonToken.START_OBJECT) {
                f.rootType = token == null ? "empty" : kind(token);
                p.skipChildren();
            } else {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken value = p.nextToken();
                    if (value != JsonToken.VALUE_NULL) {
                        f.field(name, value, p);
                    }
                    p.skipChildren();
                }
            }
            if (token != null && p.nextToken() != null) {
                throw new JsonParseException(p, "Trailing token (of type " + p.currentToken()
                        + ") found after the JSON value");
            }
            return f;
        }

        /** One non-null top-level field; the parser is left on its value's last token or on the value itself. */
        private void field(String name, JsonToken value, JsonParser p) throws IOException {
            present.add(name);
            boolean ok = switch (name) {
                case "paymentInformationId" -> {
                    paymentInformationId = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    yield true;
                }
                case "creationDateTime" -> value == JsonToken.VALUE_STRING;
                case "numberOfTransactions" -> value == JsonToken.VALUE_NUMBER_INT
                        && (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? p.getBigIntegerValue().signum() > 0 : p.getLongValue() >= 1);
                case "initiatingParty", "paymentTypeInformation", "supplementaryData" ->
                        value == JsonToken.START_OBJECT;
                case "creditTransferTransaction" -> value == JsonToken.START_ARRAY && nonEmptyArray(p);
                case "debtorAccount" -> {
                    debtorAccount(value, p);
                    yield true;
                }
                default -> true;
            };
            if (!ok) {
                wrongType.add(name);
            }
        }

        /** Reads the array's first element: the parser is then inside it, for skipChildren to finish the array. */
        private static boolean nonEmptyArray(JsonParser p) throws IOException {
            if (p.nextToken() == JsonToken.END_ARRAY) {
                return false;
            }
            p.skipChildren();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                p.skipChildren();
            }
            return true;
        }

        private void debtorAccount(JsonToken value, JsonParser p) throws IOException {
            if (value != JsonToken.START_OBJECT) {
                debtorIbanNotText = true;
                return;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("iban") && v != JsonToken.VALUE_NULL) {
                    if (v == JsonToken.VALUE_STRING) {
                        debtorIban = p.getText();
                    } else {
                        debtorIbanNotText = true;
                    }
                }
                p.skipChildren();
            }
        }

        private static String kind(JsonToken token) {
            return switch (token) {
                case START_ARRAY -> "ARRAY";
                case VALUE_STRING -> "STRING";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "NUMBER";
                case VALUE_TRUE, VALUE_FALSE -> "BOOLEAN";
                case VALUE_NULL -> "NULL";
                default -> token.name();
            };
        }
    }

    private static PaymentFailedException invalid(String reason) {
        return new PaymentFailedException(ErrorCode.INVALID_PAYMENT_REQUEST, "Invalid payment request: " + reason);
    }
}
