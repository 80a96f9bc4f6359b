package dev.runnel.broker.projection;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.projection.RunnelEnvelope;
import dev.runnel.client.projection.RunnelSourceProvider;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.jdbc.JdbcSession;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * A read model built by an exactly-once, grouped Pekko Projection (pekko-projection-jdbc on PostgreSQL) from a Runnel topic
 * through {@link RunnelSourceProvider}: per key, the sum of the records' values, how many there were, the offset
 * of the last one and how many arrived out of offset order. The offsets of each group of records are stored in the
 * transaction that adds the group to the table. Run as its own JVM by {@link ProjectionCrashTest}:
 * {@code TotalsProjection BOOTSTRAP JDBC_URL NAME TABLE TOPIC}; runs until killed.
 */
public final class TotalsProjection {

  private TotalsProjection() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String url = args[1];
    String name = args[2];
    String table = args[3];
    String topic = args[4];
    Config config = ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.loglevel = WARNING
        pekko.projection.jdbc.dialect = postgres-dialect
        pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size = 2
        runnel.client.consumer.group.auto-offset-reset = earliest
        runnel.client.consumer.group.session-timeout = 2 s
        runnel.client.consumer.group.heartbeat-interval = 500 ms
        """).withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "projection", config);
    Supplier<PlainSession> sessions = () -> new PlainSession(url);
    JdbcProjection.createTablesIfNotExists(sessions, system).toCompletableFuture().get(30, TimeUnit.SECONDS);
    try (Connection connection = DriverManager.getConnection(url); Statement sql = connection.createStatement()) {
      sql.execute("CREATE TABLE IF NOT EXISTS " + table + " (key TEXT PRIMARY KEY, total BIGINT NOT NULL,"
          + " events BIGINT NOT NULL, last_offset BIGINT NOT NULL, out_of_order BIGINT NOT NULL)");
    }
    ConsumerSettings settings = ConsumerSettings.create(system).withBootstrap(bootstrap);
    // Exactly once: each group of records is added to the table in the transaction that stores their offsets.
    var projection = JdbcProjection.groupedWithin(
            ProjectionId.of(name, "0"),
            RunnelSourceProvider.create(settings, name, Set.of(topic)),
            sessions,
            () -> JdbcHandler.fromFunction(handler(table)),
            system)
        .withGroup(100, Duration.ofMillis(100));
    system.systemActorOf(ProjectionBehavior.create(projection), "totals", Props.empty());
    System.out.println("projection " + name + " running");
  }

  private static BiConsumer<PlainSession, List<RunnelEnvelope>> handler(String table) {
    return (session, envelopes) -> envelopes.forEach(envelope -> add(session, table, envelope.record()));
  }

  private static void add(PlainSession session, String table, ConsumerRecord record) {
    try {
      session.withConnection(connection -> {
        try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO " + table
            + " (key, total, events, last_offset, out_of_order) VALUES (?, ?, 1, ?, 0) ON CONFLICT (key) DO UPDATE"
            + " SET total = " + table + ".total + EXCLUDED.total, events = " + table + ".events + 1,"
            + " last_offset = EXCLUDED.last_offset, out_of_order = " + table + ".out_of_order"
            + " + CASE WHEN EXCLUDED.last_offset <= " + table + ".last_offset THEN 1 ELSE 0 END")) {
          upsert.setString(1, new String(record.key(), StandardCharsets.UTF_8));
          upsert.setLong(2, Long.parseLong(new String(record.value(), StandardCharsets.UTF_8)));
          upsert.setLong(3, record.offset());
          return upsert.executeUpdate();
        }
      });
    } catch (Exception e) {
      throw new IllegalStateException("read model update failed at " + record.topic() + "-" + record.partition()
          + "@" + record.offset(), e);
    }
  }

  /** One JDBC connection per session, its transaction committed by the projection with the offsets. */
  static final class PlainSession implements JdbcSession {
    private final Connection connection;

    PlainSession(String url) {
      try {
        connection = DriverManager.getConnection(url);
        connection.setAutoCommit(false);
      } catch (SQLException e) {
        throw new IllegalStateException("no connection to " + url, e);
      }
    }

    @Override
    public <R> R withConnection(Function<Connection, R> function) throws Exception {
      return function.apply(connection);
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
}
