package dev.runnel.samples.cqrs.view;

import com.typesafe.config.Config;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The read models' tables and the projections' rows in pekko-projection-jdbc's offset store: creating them,
 * emptying them for a rebuild, and reading the offsets stored. The offset store keeps a {@code MergeableOffset} as
 * one row per entry, {@code projection_key} = the entry's key ({@code topic-partition}, as RunnelSourceProvider
 * names them) and {@code current_offset} = the offset of the last record handled there. Its identifiers are quoted
 * lowercase by both dialects used here (use-lowercase-schema), so they are quoted here too. Thread-safe.
 */
public final class ReadModelStore {

  private final Database database;
  private final String offsetTable;
  private final String managementTable;

  public ReadModelStore(Database database, Config config) {
    this.database = database;
    Config store = config.getConfig("pekko.projection.jdbc.offset-store");
    String schema = store.getString("schema").isEmpty() ? "" : "\"" + store.getString("schema") + "\".";
    this.offsetTable = schema + "\"" + store.getString("table") + "\"";
    this.managementTable = schema + "\"" + store.getString("management-table") + "\"";
  }

  /** Creates what is missing: the offset store's tables, then the views' tables. */
  public CompletionStage<Done> createIfNotExists(ActorSystem<?> system) {
    return JdbcProjection.createTablesIfNotExists(database.sessions(), system)
        .thenCompose(done -> database.transaction(connection -> {
          try (Statement sql = connection.createStatement()) {
            sql.execute(UserView.CREATE);
            sql.execute(OrderView.CREATE);
            sql.execute(OrderView.CREATE_USER_INDEX);
          }
          return Done.getInstance();
        }));
  }

  /**
   * Empties both views and forgets the projections' offsets (and their pause flags) in one transaction, so a
   * projection started afterwards replays its topic from offset 0 into empty tables. Only while they are stopped.
   */
  public CompletionStage<Done> reset(List<ProjectionId> projections) {
    return database.transaction(connection -> {
      try (Statement sql = connection.createStatement()) {
        sql.executeUpdate("DELETE FROM " + UserView.TABLE);
        sql.executeUpdate("DELETE FROM " + OrderView.TABLE);
      }
      for (ProjectionId projection : projections) {
        for (String table : List.of(offsetTable, managementTable)) {
          try (PreparedStatement delete = connection.prepareStatement(
              "DELETE FROM " + table + " WHERE \"projection_name\" = ?")) {
            delete.setString(1, projection.name());
            delete.executeUpdate();
          }
        }
      }
      return Done.getInstance();
    });
  }

  /** The offset of the last record the projection handled (and stored) in each partition of {@code topic}. */
  public CompletionStage<Map<Integer, Long>> storedOffsets(ProjectionId projection, String topic) {
    return database.transaction(connection -> {
      Map<Integer, Long> offsets = new HashMap<>();
      try (PreparedStatement select = connection.prepareStatement("SELECT \"projection_key\", \"current_offset\""
          + " FROM " + offsetTable + " WHERE \"projection_name\" = ?")) {
        select.setString(1, projection.name());
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            String key = rows.getString(1);
            int dash = key.lastIndexOf('-');
            if (dash > 0 && key.substring(0, dash).equals(topic)) {
              offsets.put(Integer.parseInt(key.substring(dash + 1)), Long.parseLong(rows.getString(2)));
            }
          }
        }
      }
      return offsets;
    });
  }
}
