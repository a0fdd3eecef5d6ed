package eu.pisp.bpce.payment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class RequestIdsTest {

    @Test
    void aMessageAlwaysGetsTheSameRequestIdAsWithTheJdksNameBasedUuid() {
        for (String id : new String[] {"ID:0c8f4a2e-1d2b-11f0-9c3a-0242ac120002", "x", "", "ID:é€"}) {
            String name = "pisp-request:" + id;
            assertEquals(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)),
                    RequestIds.nameUuid(name.getBytes(StandardCharsets.UTF_8)), id);
        }
        assertEquals(RequestIds.forMessage("ID:a"), RequestIds.forMessage("ID:a"));
        assertNotEquals(RequestIds.forMessage("ID:a"), RequestIds.forMessage("ID:b"));
    }
}
