package eu.pisp.bpce.sendrecord;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.apache.camel.support.service.ServiceSupport;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pisp.send-record.store=jdbc}: the send record in a PostgreSQL table that every instance shares, so that a
 * message redelivered to another instance (its first consumer died) is not sent again.
 *
 * <p>The claim is an {@code INSERT ... ON CONFLICT DO NOTHING} on the primary key (cdetab, paymentInformationId),
 * committed before the HTTP call: of two instances racing for a payment, exactly one inserts. Claims waiting together
 * go in one statement and one commit ({@link ClaimWriter}); what happened next is noted behind ({@link NoteWriter}). Camel's
 * {@code JdbcMessageIdRepository} checks then inserts (a race) and {@code JdbcOrphanLockAwareIdempotentRepository}
 * hands a dead node's keys to another node after a timeout (a resend): neither is used.
 *
 * <p>Connections come from HikariCP; the schema from Flyway migrations in {@code db/send-record} (Flyway takes a
 * PostgreSQL advisory lock, so instances starting together migrate once).
 */
public final class JdbcSendRecordStore extends ServiceSupport implements SendRecordStore {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcSendRecordStore.class);

    private static final String RELEASE = "DELETE FROM pisp_send_record "
            + "WHERE cdetab = ? AND payment_information_id = ? AND claim_id = ?";
    /** SKIP LOCKED: two instances purging at once, or a claim on an old key, never wait for each other. */
    private static final String PURGE = "DELETE FROM pisp_send_record WHERE (cdetab, payment_information_id) IN ("
            + "SELECT cdetab, payment_information_id FROM pisp_send_record "
            + "WHERE claimed_at < now() - (? * interval '1 second') LIMIT ? FOR UPDATE SKIP LOCKED)";

    /**
     * @param url                {@code pisp.send-record.jdbc.url}, e.g. {@code jdbc:postgresql://db:5432/pisp}
     * @param user               {@code pisp.send-record.jdbc.user}
     * @param password           {@code pisp.send-record.jdbc.password} (a secret: environment or secrets folder)
     * @param poolSize           {@code pisp.send-record.jdbc.pool-size}: claim writers, one connection each (plus one
     *                           connection for notes, releases and retention)
     * @param connectTimeoutMs   {@code pisp.send-record.jdbc.connect-timeout-ms}: longest wait for a connection
     * @param statementTimeoutMs {@code pisp.send-record.jdbc.statement-timeout-ms}: longest statement (server side)
     * @param purgeBatchSize     {@code pisp.send-record.retention.batch-size}: rows deleted per statement
     * @param instanceId         {@code pisp.instance-id}: written with each claim, for the operator
     * @param claimLingerMicros  {@code pisp.send-record.jdbc.claim-linger-us}: how long a claim writer waits for
     *                           more claims to share its statement and commit
     */
    public record Settings(String url, String user, char[] password, int poolSize, long connectTimeoutMs,
                           long statementTimeoutMs, int purgeBatchSize, String instanceId, long claimLingerMicros) {
    }

    private final Settings settings;
    private HikariDataSource dataSource;
    private NoteWriter notes;
    private ClaimWriter claims;

    public JdbcSendRecordStore(Settings settings) {
        this.settings = settings;
    }

    @Override
    protected void doStart() {
        HikariConfig config = new HikariConfig();
        config.setPoolName("pisp-send-record");
        config.setJdbcUrl(settings.url());
        config.setUsername(settings.user());
        config.setPassword(new String(settings.password()));
        // One connection per claim writer, one for the notes, one for releases and retention.
        config.setMaximumPoolSize(settings.poolSize() + 2);
        config.setMinimumIdle(settings.poolSize() + 2);
        config.setConnectionTimeout(Math.max(250, settings.connectTimeoutMs()));
        config.setAutoCommit(true);
        // A database that is restarting alongside the module gets this long at start; then the start fails.
        config.setInitializationFailTimeout(30_000);
        // The server ends a statement that takes longer; the socket timeout is the client's backstop.
        config.addDataSourceProperty("options", "-c statement_timeout=" + settings.statementTimeoutMs());
        config.addDataSourceProperty("socketTimeout", String.valueOf(socketTimeoutSeconds()));
        config.addDataSourceProperty("connectTimeout", String.valueOf(Math.max(1, settings.connectTimeoutMs() / 1000)));
        config.addDataSourceProperty("tcpKeepAlive", "true");
        config.addDataSourceProperty("ApplicationName", "bpce-pisp-routes " + settings.instanceId());
        dataSource = new HikariDataSource(config);
        try {
            Flyway.configure(getClass().getClassLoader())
                    .dataSource(dataSource)
                    .locations("classpath:db/send-record")
                    .table("pisp_send_record_schema_history")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            dataSource = null;
            throw e;
        }
        notes = new NoteWriter(dataSource, 10_000);
        notes.start();
        // A payment waits for its claim as long as one try of the writer can take (a connection, then a statement
        // cut by the socket timeout), so that a claim rarely lands after its caller gave up.
        claims = new ClaimWriter(dataSource, settings.poolSize(), settings.instanceId(),
                settings.connectTimeoutMs() + socketTimeoutSeconds() * 1000 + settings.claimLingerMicros() / 1000
                        + 1000, settings.claimLingerMicros());
        claims.start();
        LOG.info("Send record: PostgreSQL table pisp_send_record at {} ({} claim writers, instance {})",
                withoutParameters(settings.url()), settings.poolSize(), settings.instanceId());
    }

    @Override
    protected void doStop() throws InterruptedException {
        if (claims != null) {
            claims.stop();
            claims = null;
        }
        if (notes != null) {
            notes.stop(5_000); // what is queued is written first
            notes = null;
        }
        if (dataSource != null) {
            dataSource.close();
            dataSource = null;
        }
    }

    /** Made in batches by {@link ClaimWriter}: one INSERT and one commit for the claims waiting together. */
    @Override
    public Claim claim(PaymentSend send) {
        return claims.claim(send);
    }

    /** Written behind, in batches ({@link NoteWriter}): a payment waits only for its claim. */
    @Override
    public void accepted(PaymentSend send, String resourceId) {
        notes.add(new NoteWriter.Note("ACCEPTED", resourceId, send));
    }

    @Override
    public void unknown(PaymentSend send) {
        notes.add(new NoteWriter.Note("UNKNOWN", null, send));
    }

    /** Notes written so far. */
    public long notesWritten() {
        return notes.written();
    }

    /** Claims and claim batches written so far. */
    public long[] claimCounts() {
        return claims.counts();
    }

    @Override
    public boolean release(PaymentSend send) {
        return withConnection("release payment " + send.key(), c -> {
            try (PreparedStatement delete = c.prepareStatement(RELEASE)) {
                delete.setString(1, send.cdetab());
                delete.setString(2, send.paymentInformationId());
                delete.setObject(3, UUID.fromString(send.claimId()));
                return delete.executeUpdate() == 1;
            }
        });
    }

    /** One connection per batch: releases, which share it, never wait behind the whole purge. */
    @Override
    public int purgeOlderThan(Duration retention) {
        int total = 0;
        int deleted;
        do {
            deleted = withConnection("delete records older than " + retention.toDays() + " days", c -> {
                try (PreparedStatement purge = c.prepareStatement(PURGE)) {
                    purge.setLong(1, retention.toSeconds());
                    purge.setInt(2, settings.purgeBatchSize());
                    return purge.executeUpdate();
                }
            });
            total += deleted;
        } while (deleted == settings.purgeBatchSize() && isRunAllowed());
        return total;
    }

    /** The client's backstop when the server does not end a statement: a little over the statement timeout. */
    private long socketTimeoutSeconds() {
        return settings.statementTimeoutMs() / 1000 + 2;
    }

    /** A JDBC URL as logged: without its parameters (PgJDBC accepts ?password=...). */
    static String withoutParameters(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?...";
    }


    /**
     * Runs {@code work} on a live connection ({@link LiveConnections}: after a database restart, past the dead ones).
     * Every statement of this store may run more than once: a claim is recognised by its claim id, updates and deletes
     * name their claim.
     */
    private <T> T withConnection(String what, LiveConnections.Work<T> work) {
        try {
            return LiveConnections.run(dataSource, work);
        } catch (SQLException e) {
            throw unavailable(what, e);
        }
    }

    @Override
    public String writeProblem() {
        HikariDataSource ds = dataSource;
        if (ds == null) {
            return "not started";
        }
        try (java.sql.Connection c = ds.getConnection();
             java.sql.Statement st = c.createStatement()) {
            st.setQueryTimeout(1);
            // A primary that failed over to a read-only standby would refuse every claim.
            try (java.sql.ResultSet r = st.executeQuery("SELECT pg_is_in_recovery()")) {
                return r.next() && r.getBoolean(1) ? "the database is read-only (a standby)" : null;
            }
        } catch (java.sql.SQLException e) {
            return "the database does not answer (" + e.getClass().getSimpleName() + ", SQL state " + e.getSQLState()
                    + ")";
        }
    }

    @Override
    public String kind() {
        return "jdbc";
    }

    @Override
    public boolean shared() {
        return true;
    }

    /** SQLState and message only: neither the URL's password nor any payment data is in a PostgreSQL error. */
    static SendRecordUnavailableException unavailable(String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : " (SQLState " + e.getSQLState() + ")";
        LOG.debug("Send record database failure", e);
        return new SendRecordUnavailableException("The send record database could not " + what + state + ": "
                + e.getMessage());
    }
}
