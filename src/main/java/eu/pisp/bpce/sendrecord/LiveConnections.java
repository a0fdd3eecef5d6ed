package eu.pisp.bpce.sendrecord;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;

/**
 * Runs a unit of work on a pooled connection that is alive. After a database restart or failover every connection
 * the pool holds is dead, and each is only found so when used (HikariCP then drops it): the work moves on to the next
 * connection until one works, at most once per connection the pool may hold, so that a restarted database is used
 * again at once. A pool that cannot connect at all is asked twice, as before: the database is down.
 */
final class LiveConnections {

    /** One unit of work on a connection; it may run more than once (each statement of the store is idempotent). */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private LiveConnections() {
    }

    static <T> T run(DataSource dataSource, Work<T> work) throws SQLException {
        int deadAllowed = dataSource instanceof HikariDataSource h ? h.getMaximumPoolSize() : 1;
        int connectFailures = 0;
        int dead = 0;
        while (true) {
            Connection c;
            try {
                c = dataSource.getConnection();
            } catch (SQLException e) {
                if (!connectionLost(e) || ++connectFailures >= 2) {
                    throw e;
                }
                continue;
            }
            try (c) {
                return work.run(c);
            } catch (SQLException e) {
                if (!connectionLost(e) || ++dead > deadAllowed) {
                    throw e;
                }
            }
        }
    }

    /** Connection exceptions (class 08) and the server shutting down or restarting (57P01-57P03). */
    static boolean connectionLost(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.startsWith("57P0"));
    }
}
