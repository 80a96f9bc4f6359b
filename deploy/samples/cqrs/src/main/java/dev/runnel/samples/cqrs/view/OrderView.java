package dev.runnel.samples.cqrs.view;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.client.EventStore.StoredEvent;
import dev.runnel.client.projection.RunnelEnvelope;
import dev.runnel.samples.cqrs.command.EventCodec;
import dev.runnel.samples.cqrs.domain.OrderEvent;
import dev.runnel.samples.cqrs.domain.OrderEvent.ItemAdded;
import dev.runnel.samples.cqrs.domain.OrderEvent.OrderPlaced;
import dev.runnel.samples.cqrs.domain.OrderEvent.OrderShipped;
import dev.runnel.samples.cqrs.domain.OrderState.Item;
import dev.runnel.samples.cqrs.domain.Orders;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * The orders read model, table {@code order_view}, built by an <b>at-least-once</b> projection, idempotent by
 * design: its offsets are stored apart from (and after) the rows, so after a crash or restart envelopes already
 * applied come again. Each row is keyed by its stream and keeps the version of the last event applied to it; an
 * event at or below that version is already in the row and changes nothing, and since one stream's events are in
 * one partition, in order, the next new event is always the row's version plus one. Thread-safe.
 */
public final class OrderView {

  public static final ProjectionId ID = ProjectionId.of("order-view", "all");

  static final String CREATE = "CREATE TABLE IF NOT EXISTS order_view (order_id VARCHAR(255) PRIMARY KEY,"
      + " user_id VARCHAR(255) NOT NULL, status VARCHAR(16) NOT NULL, items VARCHAR(1000000) NOT NULL,"
      + " total_cents BIGINT NOT NULL, version BIGINT NOT NULL, updated_at BIGINT NOT NULL)";
  static final String CREATE_USER_INDEX = "CREATE INDEX IF NOT EXISTS order_view_user_id ON order_view (user_id)";
  static final String TABLE = "order_view";

  private static final String COLUMNS = "order_id, user_id, status, items, total_cents, version, updated_at";
  private static final TypeReference<List<Item>> ITEMS = new TypeReference<>() {};

  private final EventCodec<OrderEvent> codec;
  private final ObjectMapper json;

  public OrderView(EventCodec<OrderEvent> codec, ObjectMapper json) {
    this.codec = codec;
    this.json = json;
  }

  /**
   * The order's row after {@code event}, its {@code version}-th, appended at {@code timestamp}; empty when the row
   * already holds that event (a redelivery), so applying an envelope twice leaves the row as once.
   */
  static Optional<OrderRow> next(Optional<OrderRow> current, String orderId, long version, long timestamp,
      OrderEvent event) {
    long applied = current.map(OrderRow::version).orElse(0L);
    if (version <= applied) {
      return Optional.empty();
    }
    if (version != applied + 1) {
      throw new IllegalStateException("order " + orderId + ": event version " + version + " after version "
          + applied + ": the events between are missing from the read model");
    }
    if (event instanceof OrderPlaced placed) {
      return Optional.of(new OrderRow(orderId, placed.userId(), OrderRow.Status.OPEN, List.of(), 0, version,
          timestamp));
    }
    OrderRow row = current.orElseThrow(() -> new IllegalStateException("order " + orderId + ": " + event
        + " before OrderPlaced"));
    if (event instanceof ItemAdded added) {
      List<Item> items = new ArrayList<>(row.items());
      items.add(new Item(added.sku(), added.quantity(), added.unitPriceCents()));
      return Optional.of(new OrderRow(orderId, row.userId(), row.status(), items,
          row.totalCents() + added.quantity() * added.unitPriceCents(), version, timestamp));
    }
    if (event instanceof OrderShipped) {
      return Optional.of(new OrderRow(orderId, row.userId(), OrderRow.Status.SHIPPED, row.items(), row.totalCents(),
          version, timestamp));
    }
    throw new IllegalStateException("order " + orderId + ": unknown event " + event);
  }

  /** Applies each new order event to its row, in a transaction of its own; other streams' events are skipped. */
  public JdbcHandler<RunnelEnvelope, PooledSession> handler() {
    return new JdbcHandler<>() {
      @Override
      public void process(PooledSession session, RunnelEnvelope envelope) throws Exception {
        StoredEvent event = StoredEvent.of(envelope.record());
        String orderId = Orders.orderId(event.streamId());
        if (orderId == null) {
          return;
        }
        session.withConnection(connection -> {
          Optional<OrderRow> current = find(connection, orderId);
          Optional<OrderRow> next = next(current, orderId, event.version(), event.timestamp(), codec.decode(event));
          if (next.isPresent()) {
            write(connection, next.get(), current.map(OrderRow::version));
          }
          return null;
        });
      }
    };
  }

  public Optional<OrderRow> find(Connection connection, String orderId) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement(
        "SELECT " + COLUMNS + " FROM order_view WHERE order_id = ?")) {
      select.setString(1, orderId);
      List<OrderRow> rows = rows(select);
      return rows.stream().findFirst();
    }
  }

  /** The user's orders, by order id. */
  public List<OrderRow> byUser(Connection connection, String userId) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement(
        "SELECT " + COLUMNS + " FROM order_view WHERE user_id = ? ORDER BY order_id")) {
      select.setString(1, userId);
      return rows(select);
    }
  }

  private List<OrderRow> rows(PreparedStatement select) throws SQLException {
    List<OrderRow> rows = new ArrayList<>();
    try (ResultSet result = select.executeQuery()) {
      while (result.next()) {
        rows.add(new OrderRow(result.getString(1), result.getString(2), OrderRow.Status.valueOf(result.getString(3)),
            items(result.getString(4)), result.getLong(5), result.getLong(6), result.getLong(7)));
      }
    }
    return rows;
  }

  /**
   * Inserts the row, or updates it from the version it was read at: a single projection instance writes each
   * stream, so another version there means two writers, which must fail rather than overwrite.
   */
  private void write(Connection connection, OrderRow row, Optional<Long> readAt) throws SQLException {
    String sql = readAt.isPresent()
        ? "UPDATE order_view SET user_id = ?, status = ?, items = ?, total_cents = ?, version = ?, updated_at = ?"
            + " WHERE order_id = ? AND version = ?"
        : "INSERT INTO order_view (user_id, status, items, total_cents, version, updated_at, order_id)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?)";
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, row.userId());
      statement.setString(2, row.status().name());
      statement.setString(3, json(row.items()));
      statement.setLong(4, row.totalCents());
      statement.setLong(5, row.version());
      statement.setLong(6, row.updatedAt());
      statement.setString(7, row.orderId());
      if (readAt.isPresent()) {
        statement.setLong(8, readAt.get());
      }
      if (statement.executeUpdate() != 1) {
        throw new IllegalStateException("order " + row.orderId() + " changed under the projection (read at version "
            + readAt.orElse(0L) + ")");
      }
    }
  }

  private String json(List<Item> items) {
    try {
      return json.writeValueAsString(items);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write items " + items, e);
    }
  }

  private List<Item> items(String text) {
    try {
      return json.readValue(text, ITEMS);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable items " + text, e);
    }
  }
}
