package dev.runnel.broker.testkit;

import com.typesafe.config.Config;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.persistence.JournalProfile;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Holds a partition's next journal write in the h2 or postgres profile's journal: an uncommitted row at that sequence
 * number, in a transaction of the test's own, makes the partition's insert of the same primary key wait for its lock, so
 * the partition stays busy persisting (and stashes every command) until {@link #close} rolls the row back. The
 * node must run with an H2 lock timeout longer than the hold ({@code LOCK_TIMEOUT} in
 * {@code runnel.persistence.h2.url-options}); the journal plugin's circuit breaker (call-timeout 10 s) fails
 * the write after that long at the latest, and the partition restarts, so hold for less.
 */
public final class HeldJournalWrite implements AutoCloseable {

  private final Connection connection;
  private final JournalProfile profile;

  private HeldJournalWrite(Connection connection, JournalProfile profile) {
    this.connection = connection;
    this.profile = profile;
  }

  /** Holds the write of {@code partition}'s event number {@code sequenceNr} (its journal writes so far + 1). */
  public static HeldJournalWrite hold(Config nodeConfig, PartitionId partition, long sequenceNr) throws SQLException {
    Config resolved = JournalProfile.apply(nodeConfig);
    JournalProfile profile = JournalProfile.of(resolved);
    Connection connection = profile == JournalProfile.POSTGRES
        ? DriverManager.getConnection(profile.jdbcUrl(resolved), resolved.getString("runnel.persistence.postgres.user"),
            resolved.getString("runnel.persistence.postgres.password"))
        : DriverManager.getConnection(profile.jdbcUrl(resolved), "sa", "");
    connection.setAutoCommit(false);
    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO \"event_journal\" (\"persistence_id\", "
        + "\"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", "
        + "\"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, 'test', 0, '', ?, 0, '')")) {
      insert.setString(1, Partition.ENTITY_KEY.name() + "|" + partition.entityId());
      insert.setLong(2, sequenceNr);
      insert.setBytes(3, new byte[] {0});
      insert.executeUpdate();
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
    return new HeldJournalWrite(connection, profile);
  }

  /**
   * Waits until some other session waits for this one's lock: the partition's write is then in the database,
   * alone, and writes of other partitions that come after it are not batched with it by the journal plugin.
   */
  public void awaitBlockedWrite(java.time.Duration timeout) throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (PreparedStatement waiting = connection.prepareStatement(profile == JournalProfile.POSTGRES
        ? "SELECT COUNT(*) FROM pg_locks WHERE NOT granted"
        : "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE SESSION_ID <> SESSION_ID()"
            + " AND (BLOCKER_ID IS NOT NULL OR UPPER(EXECUTING_STATEMENT) LIKE '%INSERT INTO \"EVENT_JOURNAL\"%')")) {
      while (true) {
        try (java.sql.ResultSet result = waiting.executeQuery()) {
          result.next();
          if (result.getLong(1) > 0) {
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no write waited for the held row within " + timeout);
        }
        Thread.sleep(20);
      }
    }
  }

  /** Rolls the row back: the partition's own write goes through. */
  @Override
  public void close() throws SQLException {
    try {
      connection.rollback();
    } finally {
      connection.close();
    }
  }
}
