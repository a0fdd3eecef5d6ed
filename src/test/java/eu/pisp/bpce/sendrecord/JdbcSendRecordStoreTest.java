package eu.pisp.bpce.sendrecord;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import eu.pisp.bpce.sendrecord.SendRecordStore.Claim;
import eu.pisp.bpce.sendrecord.SendRecordStore.Claimed;
import eu.pisp.bpce.support.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The send-record contract on a real PostgreSQL (a throwaway server, or PISP_TEST_JDBC_URL), plus what only it does. */
class JdbcSendRecordStoreTest extends SendRecordStoreContract {

    private String url;

    @BeforeEach
    void freshDatabase() {
        url = TestPostgres.shared().createDatabase("sendrecord");
    }

    @Override
    protected SendRecordStore newStore() {
        return store(url, TestPostgres.shared(), 3);
    }

    static JdbcSendRecordStore store(String url, TestPostgres pg, int purgeBatch) {
        return new JdbcSendRecordStore(new JdbcSendRecordStore.Settings(url, pg.user(), pg.password().toCharArray(),
                4, 1000, 2000, purgeBatch, "test-instance", 1000));
    }

    @Override
    protected boolean shared() {
        return true;
    }

    @Test
    void aClaimWhoseAnswerWasLostIsRecognisedAsItsOwnWhenRetried() {
        SendRecordStore store = open();
        PaymentSend send = send("LOST-ANSWER", "ID:a");
        assertEquals(Claimed.NEW, store.claim(send).claimed());
        assertEquals(Claimed.NEW, store.claim(send).claimed(), "the same claim (same claim id) tried again");
        assertEquals(Claimed.SAME_MESSAGE, store.claim(send("LOST-ANSWER", "ID:a")).claimed(),
                "a later delivery of the message is another claim");
    }

    @Test
    void theRowTellsWhatHappenedAndAnEarlierSendIsDescribed() throws Exception {
        SendRecordStore store = open();
        PaymentSend accepted = send("NOTED-A", "ID:a");
        PaymentSend unknown = send("NOTED-U", "ID:u");
        store.claim(accepted);
        store.claim(unknown);
        store.accepted(accepted, "RES-42");
        store.unknown(unknown);

        // Notes are written behind the payments, in batches.
        await().atMost(Duration.ofSeconds(10)).until(() -> row("NOTED-A").startsWith("ACCEPTED")
                && row("NOTED-U").startsWith("UNKNOWN"));
        assertEquals("ACCEPTED RES-42 test-instance", row("NOTED-A"));
        assertEquals("UNKNOWN null test-instance", row("NOTED-U"));
        Claim again = store.claim(send("NOTED-A", "ID:other"));
        assertEquals(Claimed.OTHER_MESSAGE, again.claimed());
        assertEquals("ACCEPTED", again.state());
        assertEquals("RES-42", again.resourceId());
        assertEquals("test-instance", again.instance());
        assertTrue(again.claimedAt().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), again.claimedAt());
    }

    @Test
    void notesStillQueuedWhenTheStoreStopsAreWritten() throws Exception {
        SendRecordStore store = open();
        for (int i = 0; i < 200; i++) {
            PaymentSend send = send("AT-STOP-" + i, "ID:at-stop-" + i);
            store.claim(send);
            store.accepted(send, "RES-" + i);
        }
        store.stop();
        assertEquals(200, countWhere("state = 'ACCEPTED' AND payment_information_id LIKE 'AT-STOP-%'"));
    }

    @Test
    void retentionDeletesOnlyOldRowsInSmallBatches() throws Exception {
        SendRecordStore store = open();
        for (int i = 0; i < 10; i++) {
            store.claim(send("OLD-" + i, "ID:old-" + i));
        }
        store.claim(send("RECENT", "ID:recent"));
        sql("UPDATE pisp_send_record SET claimed_at = now() - interval '41 days' WHERE payment_information_id LIKE 'OLD-%'");

        assertEquals(10, store.purgeOlderThan(Duration.ofDays(40)), "4 statements of at most 3 rows");
        assertEquals(1, count());
        assertEquals(Claimed.NEW, store.claim(send("OLD-1", "ID:new")).claimed(), "an expired record no longer blocks");
        assertEquals(Claimed.SAME_MESSAGE, store.claim(send("RECENT", "ID:recent")).claimed());
    }

    @Test
    void twoStoresStartingOnAnEmptyDatabaseCreateTheSchemaOnce() throws Exception {
        String fresh = TestPostgres.shared().createDatabase("schema");
        Thread other = new Thread(() -> store(fresh, TestPostgres.shared(), 3).start());
        other.start();
        SendRecordStore store = store(fresh, TestPostgres.shared(), 3);
        store.start();
        other.join(60_000);
        try (Connection c = connect(fresh); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM pisp_send_record_schema_history WHERE success")) {
            r.next();
            assertEquals(1, r.getInt(1), "one migration applied");
        } finally {
            store.stop();
        }
    }

    @Test
    void aDatabaseThatCannotBeReachedFailsTheClaimAsUnavailable() {
        try (TestPostgres pg = TestPostgres.startNew()) {
            String db = pg.createDatabase("down");
            JdbcSendRecordStore store = store(db, pg, 3);
            store.start();
            try {
                assertEquals(Claimed.NEW, store.claim(send("BEFORE", "ID:a")).claimed());
                pg.stop();
                SendRecordUnavailableException e = assertThrows(SendRecordUnavailableException.class,
                        () -> store.claim(send("DURING", "ID:b")));
                assertTrue(e.getMessage().startsWith("The send record database could not claim payment 13807/DURING"),
                        e.getMessage());
                assertTrue(!e.getMessage().contains(pg.password()), "no password in the reason");
                pg.start();
                assertEquals(Claimed.NEW, store.claim(send("AFTER", "ID:c")).claimed(), "the pool reconnects");
                assertEquals(Claimed.SAME_MESSAGE, store.claim(send("BEFORE", "ID:a")).claimed());
            } finally {
                store.stop();
            }
        }
    }

    private String row(String payment) throws SQLException {
        try (Connection c = connect(url); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT state, resource_id, instance_id FROM pisp_send_record "
                     + "WHERE payment_information_id = '" + payment + "'")) {
            r.next();
            return r.getString(1) + " " + r.getString(2) + " " + r.getString(3);
        }
    }

    private long count() throws SQLException {
        return countWhere("true");
    }

    private long countWhere(String condition) throws SQLException {
        try (Connection c = connect(url); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM pisp_send_record WHERE " + condition)) {
            r.next();
            return r.getLong(1);
        }
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = connect(url); Statement s = c.createStatement()) {
            s.executeUpdate(statement);
        }
    }

    private static Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url, TestPostgres.shared().user(), TestPostgres.shared().password());
    }
}
