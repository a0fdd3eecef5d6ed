package eu.pisp.bpce.outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.junit.jupiter.api.Test;

/** The consent approval link read from the bank's 201 answer: only at _links.consentApproval.href, only a string. */
class OutcomesTest {

    private static final String URL = "https://www.13807.live.api.89c3.com/consent?paymentRequestRessourceId=PR-1";

    @Test
    void theLinkIsReadWhereStetPutsIt() throws IOException {
        assertEquals(URL, Outcomes.consentApprovalHref("{\"appliedAuthenticationApproach\":\"REDIRECT\","
                + "\"_links\":{\"self\":{\"href\":\"https://other\"},\"consentApproval\":{\"templated\":false,"
                + "\"href\":\"" + URL + "\"}}}"));
        assertEquals("PR-1", Outcomes.resourceId(URL, null));
    }

    @Test
    void aLinkAnywhereElseOrOfAnotherTypeIsNone() throws IOException {
        assertNull(Outcomes.consentApprovalHref("{\"consentApproval\":{\"href\":\"" + URL + "\"}}"), "not under _links");
        assertNull(Outcomes.consentApprovalHref("{\"x\":{\"_links\":{\"consentApproval\":{\"href\":\"" + URL + "\"}}}}"),
                "_links not at the top");
        assertNull(Outcomes.consentApprovalHref("{\"_links\":{\"consentApproval\":{\"href\":42}}}"), "not a string");
        assertNull(Outcomes.consentApprovalHref("{\"_links\":{\"consentApproval\":[{\"href\":\"" + URL + "\"}]}}"),
                "inside an array");
        assertNull(Outcomes.consentApprovalHref("{\"_links\":{\"consentApproval\":{\"x\":{\"href\":\"" + URL + "\"}}}}"),
                "one level too deep");
        assertNull(Outcomes.consentApprovalHref("[1,2]"));
        assertNull(Outcomes.consentApprovalHref("{}"));
    }

    @Test
    void theResourceIdComesFromTheLinksQueryElseFromLocation() {
        String location = "https://www.13807.live.api.89c3.com/stet/psd2/v1/payment-requests/PR-LOC/";
        assertEquals("PR 2", Outcomes.resourceId("https://b/consent?a=1&paymentRequestResourceId=PR%202#frag", location));
        assertEquals("PR-3", Outcomes.resourceId("https://b/consent?paymentRequestRessourceId=PR-3#x=y", location));
        assertEquals("PR-LOC", Outcomes.resourceId("https://b/consent#paymentRequestResourceId=NOT", location),
                "a fragment is not the query");
        assertEquals("PR-LOC", Outcomes.resourceId("https://b/consent?paymentRequestResourceId=%zz", location),
                "a broken escape falls back to Location");
        assertEquals("PR-LOC", Outcomes.resourceId("https://b/consent?paymentRequestResourceId", location));
        assertEquals("PR-LOC", Outcomes.resourceId(null, location + "?x=1"));
        assertNull(Outcomes.resourceId(null, null));
    }

    @Test
    void theAcceptedOutcomeIsJsonTextAndItsResourceIdAProperty() throws IOException {
        org.apache.camel.Exchange exchange = new org.apache.camel.support.DefaultExchange(
                new org.apache.camel.impl.DefaultCamelContext());
        exchange.getMessage().setBody("{\"_links\":{\"consentApproval\":{\"href\":\"" + URL + "\"}}}");
        exchange.setProperty(eu.pisp.bpce.Props.PAYMENT_ID, "PI-1");
        exchange.setProperty(eu.pisp.bpce.Props.CDETAB, "13807");
        exchange.setProperty(eu.pisp.bpce.Props.REQUEST_ID, "rid-1");
        exchange.setProperty(eu.pisp.bpce.Props.ATTEMPTS, 2);
        exchange.setProperty(eu.pisp.bpce.Props.LOCATION, "https://b/payment-requests/PR-LOC");
        String json = new Outcomes().accepted(exchange);
        com.fasterxml.jackson.databind.JsonNode outcome =
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        assertEquals("PI-1", outcome.get("paymentInformationId").asText());
        assertEquals("13807", outcome.get("cdetab").asText());
        assertEquals("rid-1", outcome.get("requestId").asText());
        assertEquals("PR-1", outcome.get("paymentRequestResourceId").asText());
        assertEquals(URL, outcome.get("consentApprovalUrl").asText());
        assertEquals("https://b/payment-requests/PR-LOC", outcome.get("location").asText());
        assertEquals(2, outcome.get("attempts").asInt());
        assertTrue(outcome.get("acceptedAt").asText().endsWith("Z"), json);
        assertEquals("PR-1", exchange.getProperty(eu.pisp.bpce.Props.ACCEPTED_RESOURCE_ID));
    }

    @Test
    void aMalformedAnswerFails() {
        assertThrows(IOException.class, () -> Outcomes.consentApprovalHref("{\"_links\":{\"consentApproval\":"));
        assertThrows(IOException.class, () -> Outcomes.consentApprovalHref("{\"_links\": nope}"));
        assertThrows(IOException.class, () -> Outcomes.consentApprovalHref(
                "{\"_links\":{\"consentApproval\":{\"href\":\"" + URL + "\"}},\"status\": nope}"),
                "malformed after the link, before the end of the answer");
    }

    @Test
    void theLastOfRepeatedNamesWinsAsInAJsonTree() throws IOException {
        assertEquals(URL, Outcomes.consentApprovalHref("{\"_links\":{\"consentApproval\":{\"href\":\"https://old\","
                + "\"href\":\"" + URL + "\"}}}"));
        assertNull(Outcomes.consentApprovalHref("{\"_links\":{\"consentApproval\":{\"href\":\"" + URL + "\"}},"
                + "\"_links\":{\"self\":{\"href\":\"https://other\"}}}"), "a later _links without the link");
        assertEquals(URL, Outcomes.consentApprovalHref("{\"_links\":{\"consentApproval\":{\"href\":\"" + URL
                + "\",\"extra\":{\"href\":[1,{\"a\":2}]}}},\"after\":[{\"x\":1}]}"), "nested values around it skipped");
    }
}
