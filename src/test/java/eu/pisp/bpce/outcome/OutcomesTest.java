package eu.pisp.bpce.outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    void aMalformedAnswerFails() {
        assertThrows(IOException.class, () -> Outcomes.consentApprovalHref("{\"_links\":{\"consentApproval\":"));
        assertThrows(IOException.class, () -> Outcomes.consentApprovalHref("{\"_links\": nope}"));
    }
}
