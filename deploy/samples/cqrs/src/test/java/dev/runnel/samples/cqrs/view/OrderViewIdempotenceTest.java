package dev.runnel.samples.cqrs.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.EventStore;
import dev.runnel.client.Header;
import dev.runnel.client.projection.RunnelEnvelope;
import dev.runnel.samples.cqrs.Json;
import dev.runnel.samples.cqrs.command.EventCodec;
import dev.runnel.samples.cqrs.domain.OrderEvent;
import dev.runnel.samples.cqrs.domain.OrderState.Item;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.projection.MergeableOffset;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OrderView's handler, on a real (in-memory H2) table, given an envelope again as an at-least-once projection does
 * after a restart: the row stays as the first time.
 */
@Timeout(20)
class OrderViewIdempotenceTest {

  private final EventCodec<OrderEvent> codec = EventCodec.of(OrderEvent.class, Json.mapper());
  private final OrderView view = new OrderView(codec, Json.mapper());
  private final JdbcHandler<RunnelEnvelope, PooledSession> handler = view.handler();
  private Connection connection;
  private long offset;

  @BeforeEach
  void createTable() throws Exception {
    connection = DriverManager.getConnection("jdbc:h2:mem:order-view-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    connection.setAutoCommit(false);
    try (Statement sql = connection.createStatement()) {
      sql.execute(OrderView.CREATE);
    }
    connection.commit();
  }

  @AfterEach
  void close() throws Exception {
    connection.close();
  }

  private RunnelEnvelope envelope(String streamId, long version, OrderEvent event) {
    EventStore.Event encoded = codec.encode(event);
    ConsumerRecord record = new ConsumerRecord("cqrs-events", 0, offset++, 1_700_000_000_000L + version,
        streamId.getBytes(StandardCharsets.UTF_8), encoded.payload(), List.of(
            Header.of(EventStore.STREAM_ID, streamId),
            Header.of(EventStore.EVENT_TYPE, encoded.eventType()),
            Header.of(EventStore.VERSION, Long.toString(version))));
    return new RunnelEnvelope(record, new MergeableOffset<>(scala.collection.immutable.Map$.MODULE$.empty()));
  }

  /** As the projection runs the handler: in a transaction of its own, committed. */
  private void handle(RunnelEnvelope envelope) throws Exception {
    handler.process(new PooledSession(connection), envelope);
    connection.commit();
  }

  private Optional<OrderRow> row() throws Exception {
    return view.find(connection, "o-1");
  }

  @Test
  void when_theSameEnvelopeIsHandledTwice_then_theRowIsAsAfterOnce() throws Exception {
    handle(envelope("order-o-1", 1, new OrderEvent.OrderPlaced("u-1")));
    RunnelEnvelope book = envelope("order-o-1", 2, new OrderEvent.ItemAdded("book", 2, 1500));
    handle(book);
    OrderRow once = row().orElseThrow();

    handle(book);

    assertEquals(once, row().orElseThrow());
    assertEquals(new OrderRow("o-1", "u-1", OrderRow.Status.OPEN, List.of(new Item("book", 2, 1500)), 3000, 2,
        1_700_000_000_002L), once);
  }

  @Test
  void when_aWholeStreamIsRedeliveredAfterLaterEvents_then_nothingChanges() throws Exception {
    List<RunnelEnvelope> stream = List.of(
        envelope("order-o-1", 1, new OrderEvent.OrderPlaced("u-1")),
        envelope("order-o-1", 2, new OrderEvent.ItemAdded("book", 1, 1500)),
        envelope("order-o-1", 3, new OrderEvent.OrderShipped()));
    for (RunnelEnvelope envelope : stream) {
      handle(envelope);
    }
    OrderRow shipped = row().orElseThrow();

    for (RunnelEnvelope envelope : stream) {
      handle(envelope);
    }

    assertEquals(shipped, row().orElseThrow());
    assertEquals(OrderRow.Status.SHIPPED, shipped.status());
  }

  @Test
  void when_anotherStreamsEventArrives_then_noOrderRowIsWritten() throws Exception {
    handle(envelope("user-u-1", 1, new OrderEvent.OrderShipped()));

    assertTrue(view.byUser(connection, "u-1").isEmpty());
  }

  @Test
  void when_anEventSkipsAVersion_then_theHandlerFailsRatherThanGuess() throws Exception {
    handle(envelope("order-o-1", 1, new OrderEvent.OrderPlaced("u-1")));

    assertThrows(IllegalStateException.class,
        () -> handle(envelope("order-o-1", 3, new OrderEvent.ItemAdded("book", 1, 1500))));
  }
}
