package dev.runnel.samples.cqrs.view;

import java.sql.Connection;
import java.sql.SQLException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * One projection transaction on a pooled connection (auto-commit off): the projection runs the handler through
 * {@link #withConnection}, then commits (with its offsets, in an exactly-once projection) or rolls back, and closes.
 * Not thread-safe: a projection uses a session from one thread at a time.
 */
public final class PooledSession implements JdbcSession {

  private final Connection connection;

  PooledSession(Connection connection) {
    this.connection = connection;
  }

  @Override
  public <R> R withConnection(Function<Connection, R> work) throws Exception {
    return work.apply(connection);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
