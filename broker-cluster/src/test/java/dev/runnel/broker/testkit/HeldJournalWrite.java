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
 * Holds a partition's next journal write in the embedded (H2) journal: an uncommitted row at that sequence number,
 * in a transaction of the test's own, makes the partition's insert of the same primary key wait for its lock, so
 * the partition stays busy persisting (and stashes every command) until {@link #close} rolls the row back. The
 * node must run with an H2 lock timeout longer than the hold ({@code LOCK_TIMEOUT} in
 * {@code runnel.persistence.embedded.url-options}); the journal plugin's circuit breaker (call-timeout 10 s) fails
 * the write after that long at the latest, and the partition restarts, so hold for less.
 */
public final class HeldJournalWrite implements AutoCloseable {

  private final Connection connection;

  private HeldJournalWrite(Connection connection) {
    this.connection = connection;
  }

  /** Holds the write of {@code partition}'s event number {@code sequenceNr} (its journal writes so far + 1). */
  public static HeldJournalWrite hold(Config nodeConfig, PartitionId partition, long sequenceNr) throws SQLException {
    Config resolved = JournalProfile.apply(nodeConfig);
    Connection connection = DriverManager.getConnection(JournalProfile.EMBEDDED.jdbcUrl(resolved), "sa", "");
    connection.setAutoCommit(false);
    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO \"event_journal\" (\"persistence_id\", "
        + "\"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", "
        + "\"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, 'test', 0, '', X'00', 0, '')")) {
      insert.setString(1, Partition.ENTITY_KEY.name() + "|" + partition.entityId());
      insert.setLong(2, sequenceNr);
      insert.executeUpdate();
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
    return new HeldJournalWrite(connection);
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
