package eu.pisp.bpce.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.Test;

/** The test PostgreSQL server is a real one: databases of their own, and it survives a stop and a start. */
class TestPostgresTest {

    @Test
    void eachCreatedDatabaseIsFreshAndKeepsWhatIsWrittenToIt() throws SQLException {
        TestPostgres pg = TestPostgres.shared();
        assertTrue(pg == TestPostgres.shared(), "one server per JVM");
        String first = pg.createDatabase("TestPostgres-First");
        String second = pg.createDatabase("TestPostgres-First");
        assertNotEquals(first, second);

        writeGreeting(pg, first, "bonjour");
        assertEquals("bonjour", readGreeting(pg, first));
        // The second database does not see the first one's table.
        assertThrows(SQLException.class, () -> readGreeting(pg, second));
        writeGreeting(pg, second, "salut");
        assertEquals("salut", readGreeting(pg, second));
    }

    @Test
    void aStoppedServerRefusesConnectionsAndKeepsItsDataWhenStartedAgain() throws SQLException {
        try (TestPostgres pg = TestPostgres.startNew()) {
            assertTrue(pg.managed());
            String url = pg.createDatabase("restart");
            assertTrue(url.startsWith("jdbc:postgresql://127.0.0.1:" + pg.port() + "/restart_"), url);
            writeGreeting(pg, url, "avant");
            int port = pg.port();

            pg.stop();
            assertFalse(pg.running());
            assertThrows(SQLException.class, () -> DriverManager.getConnection(url, pg.user(), pg.password()).close());

            pg.start();
            assertTrue(pg.running());
            assertEquals(port, pg.port());
            assertEquals("avant", readGreeting(pg, url));
        }
    }

    private static void writeGreeting(TestPostgres pg, String url, String text) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE greeting (id int PRIMARY KEY, text varchar(40) NOT NULL)");
            s.execute("INSERT INTO greeting VALUES (1, '" + text + "')");
        }
    }

    private static String readGreeting(TestPostgres pg, String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT text FROM greeting WHERE id = 1")) {
            assertTrue(rs.next());
            return rs.getString(1);
        }
    }
}
