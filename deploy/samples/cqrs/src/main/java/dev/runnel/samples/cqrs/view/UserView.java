package dev.runnel.samples.cqrs.view;

import dev.runnel.client.EventStore.StoredEvent;
import dev.runnel.client.projection.RunnelEnvelope;
import dev.runnel.samples.cqrs.command.EventCodec;
import dev.runnel.samples.cqrs.domain.UserEvent;
import dev.runnel.samples.cqrs.domain.UserEvent.EmailChanged;
import dev.runnel.samples.cqrs.domain.UserEvent.UserRegistered;
import dev.runnel.samples.cqrs.domain.Users;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * The users read model, table {@code user_view}, built by an <b>exactly-once</b> projection: each envelope's row
 * change is written in the transaction that also stores the projection's offset, so after a crash the row and the
 * offset are either both there or both not, and no event is applied twice. Its handler therefore needs no guard
 * against redelivery (compare {@link OrderView}). Thread-safe.
 */
public final class UserView {

  public static final ProjectionId ID = ProjectionId.of("user-view", "all");

  static final String CREATE = "CREATE TABLE IF NOT EXISTS user_view (user_id VARCHAR(255) PRIMARY KEY,"
      + " name VARCHAR(1000) NOT NULL, email VARCHAR(1000) NOT NULL, version BIGINT NOT NULL,"
      + " updated_at BIGINT NOT NULL)";
  static final String TABLE = "user_view";

  private final EventCodec<UserEvent> codec;

  public UserView(EventCodec<UserEvent> codec) {
    this.codec = codec;
  }

  /** The user's row after {@code event}, its {@code version}-th, appended at {@code timestamp}. */
  static UserRow apply(Optional<UserRow> current, String userId, long version, long timestamp, UserEvent event) {
    if (event instanceof UserRegistered registered) {
      return new UserRow(userId, registered.name(), registered.email(), version, timestamp);
    }
    UserRow row = current.orElseThrow(() -> new IllegalStateException("user " + userId + ": " + event
        + " before UserRegistered"));
    EmailChanged changed = (EmailChanged) event;
    return new UserRow(userId, row.name(), changed.email(), version, timestamp);
  }

  /** Applies each user event to its row in the projection's transaction; other streams' events only move offsets. */
  public JdbcHandler<RunnelEnvelope, PooledSession> handler() {
    return new JdbcHandler<>() {
      @Override
      public void process(PooledSession session, RunnelEnvelope envelope) throws Exception {
        StoredEvent event = StoredEvent.of(envelope.record());
        String userId = Users.userId(event.streamId());
        if (userId == null) {
          return;
        }
        session.withConnection(connection -> {
          Optional<UserRow> current = find(connection, userId);
          write(connection, apply(current, userId, event.version(), event.timestamp(), codec.decode(event)),
              current.isPresent());
          return null;
        });
      }
    };
  }

  public static Optional<UserRow> find(Connection connection, String userId) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement(
        "SELECT user_id, name, email, version, updated_at FROM user_view WHERE user_id = ?")) {
      select.setString(1, userId);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next()
            ? Optional.of(new UserRow(rows.getString(1), rows.getString(2), rows.getString(3), rows.getLong(4),
                rows.getLong(5)))
            : Optional.empty();
      }
    }
  }

  private static void write(Connection connection, UserRow row, boolean exists) throws SQLException {
    String sql = exists
        ? "UPDATE user_view SET name = ?, email = ?, version = ?, updated_at = ? WHERE user_id = ?"
        : "INSERT INTO user_view (name, email, version, updated_at, user_id) VALUES (?, ?, ?, ?, ?)";
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, row.name());
      statement.setString(2, row.email());
      statement.setLong(3, row.version());
      statement.setLong(4, row.updatedAt());
      statement.setString(5, row.userId());
      statement.executeUpdate();
    }
  }
}
