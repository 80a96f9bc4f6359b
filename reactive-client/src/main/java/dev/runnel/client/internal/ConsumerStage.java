package dev.runnel.client.internal;

import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Control;
import dev.runnel.client.RunnelException;
import dev.runnel.client.Subscription;
import dev.runnel.client.internal.Protocol.Message;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer source: one connection, one protocol subscription per partition, and a bounded buffer per
 * partition of at most {@code credit-window} Records frames. A frame's credit goes back to the broker only when
 * every record of the frame has been pushed downstream, so a slow stream stops the broker's reads.
 *
 * <p>On a dropped connection the buffered records are discarded and, after a backoff, every partition is
 * subscribed again from the offset after the last record pushed: nothing is skipped and nothing repeats.
 */
public final class ConsumerStage extends AbstractGraphStageWithMaterializedValue<SourceShape<ConsumerRecord>, Control> {

  private static final Logger log = LoggerFactory.getLogger(ConsumerStage.class);
  private static final String RECONNECT = "reconnect";
  private static final String REQUEST_TIMEOUT = "request-timeout";

  private final ConsumerSettings settings;
  private final Subscription subscription;
  private final Outlet<ConsumerRecord> out = Outlet.create("RunnelConsumer.out");
  private final SourceShape<ConsumerRecord> shape = SourceShape.of(out);

  public ConsumerStage(ConsumerSettings settings, Subscription subscription) {
    this.settings = settings;
    this.subscription = subscription;
  }

  @Override
  public SourceShape<ConsumerRecord> shape() {
    return shape;
  }

  @Override
  public Pair<org.apache.pekko.stream.stage.GraphStageLogic, Control> createLogicAndMaterializedValuePair(
      Attributes attributes) {
    Logic logic = new Logic();
    return Pair.create(logic, logic.control);
  }

  /** What the source knows of one partition. */
  private static final class PartitionCursor {
    final int partition;
    final int subscriptionId;
    /** Where the next subscription starts: the offset after the last record pushed, or earliest/latest. */
    long nextToPush;
    /** The offset after the last record received on this connection, to skip records a batch repeats. */
    long nextToReceive;
    final ArrayDeque<FrameRecords> frames = new ArrayDeque<>();
    int creditsToReturn;

    PartitionCursor(int partition, int subscriptionId, long start) {
      this.partition = partition;
      this.subscriptionId = subscriptionId;
      this.nextToPush = start;
    }
  }

  private final class Logic extends TimerGraphStageLogic {

    final CompletableFuture<Done> stopped = new CompletableFuture<>();
    final List<PartitionCursor> cursors = new ArrayList<>();
    final Backoff backoff = new Backoff(settings.minBackoff(), settings.maxBackoff());
    AsyncCallback<Pair<Integer, Message>> onMessage;
    AsyncCallback<Pair<Integer, Throwable>> onClosed;
    AsyncCallback<Done> onShutdown;
    Connection connection;
    int generation;
    int nextPartition;
    /** Subscriptions of the current connection that the broker has not yet confirmed. */
    int unconfirmed;

    final Control control = new Control() {
      /** A plain source has no commits to wait for: stopping it is shutting it down. */
      @Override
      public CompletionStage<Done> stop() {
        return shutdown();
      }

      @Override
      public CompletionStage<Done> shutdown() {
        onShutdown.invoke(Done.getInstance());
        return stopped;
      }

      @Override
      public CompletionStage<Done> isShutdown() {
        return stopped;
      }
    };

    Logic() {
      super(shape);
      int id = 0;
      for (Map.Entry<Integer, Long> start : subscription.startOffsets().entrySet()) {
        cursors.add(new PartitionCursor(start.getKey(), id++, start.getValue()));
      }
      onMessage = createAsyncCallback(pair -> received(pair.first(), pair.second()));
      onClosed = createAsyncCallback(pair -> disconnected(pair.first(), pair.second()));
      onShutdown = createAsyncCallback(done -> completeStage());
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          pushNext();
        }
      });
    }

    @Override
    public void preStart() {
      connect();
    }

    @Override
    public void postStop() {
      if (connection != null) {
        connection.close();
      }
      stopped.complete(Done.getInstance());
    }

    void connect() {
      int current = ++generation;
      // Each new connection goes to the next bootstrap broker: one that died is not the only one tried.
      List<String> brokers = settings.bootstrapUris();
      connection = Connection.open(materializer().system(),
          brokers.get(Math.floorMod(current - 1, brokers.size())),
          4 * cursors.size() * (settings.creditWindow() + 2) + 16,
          message -> onMessage.invoke(Pair.create(current, message)),
          failure -> onClosed.invoke(Pair.create(current, failure)));
      for (PartitionCursor cursor : cursors) {
        cursor.frames.clear();
        cursor.creditsToReturn = 0;
        cursor.nextToReceive = cursor.nextToPush;
        connection.send(new Protocol.Subscribe(cursor.subscriptionId, subscription.topic(), cursor.partition,
            cursor.nextToPush, settings.maxFrameBytes(), (int) settings.maxWait().toMillis()));
        connection.send(new Protocol.Credit(cursor.subscriptionId, settings.creditWindow()));
      }
      unconfirmed = cursors.size();
      scheduleOnce(REQUEST_TIMEOUT, settings.requestTimeout());
    }

    void disconnected(int lost, Throwable cause) {
      if (lost != generation || connection == null) {
        return;
      }
      cancelTimer(REQUEST_TIMEOUT);
      connection.close();
      connection = null;
      Duration delay = backoff.next();
      log.warn("consumer of {}: connection to {} lost ({}), resubscribing in {} ms", subscription.topic(),
          settings.bootstrap(), cause.getMessage(), delay.toMillis());
      scheduleOnce(RECONNECT, delay);
    }

    @Override
    public void onTimer(Object key) {
      if (RECONNECT.equals(key)) {
        connect();
      } else if (REQUEST_TIMEOUT.equals(key) && unconfirmed > 0) {
        disconnected(generation, new java.util.concurrent.TimeoutException(
            "no answer to Subscribe in " + settings.requestTimeout().toMillis() + " ms"));
      }
    }

    void received(int from, Message message) {
      if (from != generation) {
        return;
      }
      backoff.reset();
      if (message instanceof Protocol.Records records) {
        PartitionCursor cursor = cursors.get(records.subscriptionId());
        FrameRecords frame = new FrameRecords(subscription.topic(), cursor.partition, records.batches(),
            cursor.nextToReceive);
        cursor.nextToReceive = frame.nextToReceive();
        cursor.frames.add(frame);
        pushNext();
      } else if (message instanceof Protocol.Subscribed subscribed) {
        PartitionCursor cursor = cursors.get(subscribed.subscriptionId());
        if (cursor.nextToPush < 0) {
          cursor.nextToPush = subscribed.offset();
        }
        cursor.nextToReceive = subscribed.offset();
        if (--unconfirmed == 0) {
          cancelTimer(REQUEST_TIMEOUT);
        }
      } else if (message instanceof Protocol.Error error) {
        failStage(new RunnelException(Errors.forCode(error.errorCode()),
            "subscription " + describe(error.ref()) + ": " + error.message()));
      } else {
        failStage(new IllegalStateException("unexpected " + message.getClass().getSimpleName() + " from broker"));
      }
    }

    String describe(int ref) {
      if (ref >= 0 && ref < cursors.size()) {
        return subscription.topic() + "-" + cursors.get(ref).partition;
      }
      return "connection";
    }

    void pushNext() {
      if (!isAvailable(out)) {
        return;
      }
      for (int i = 0; i < cursors.size(); i++) {
        PartitionCursor cursor = cursors.get((nextPartition + i) % cursors.size());
        ConsumerRecord record = take(cursor);
        if (record != null) {
          // Rotate over partitions so one busy partition does not starve the others.
          nextPartition = (nextPartition + i + 1) % cursors.size();
          cursor.nextToPush = record.offset() + 1;
          push(out, record);
          return;
        }
      }
    }

    /** The next buffered record of a partition; a frame emptied returns its credit. */
    ConsumerRecord take(PartitionCursor cursor) {
      while (!cursor.frames.isEmpty()) {
        ConsumerRecord record = cursor.frames.peek().next();
        if (record != null) {
          return record;
        }
        cursor.frames.poll();
        returnCredit(cursor);
      }
      return null;
    }

    void returnCredit(PartitionCursor cursor) {
      cursor.creditsToReturn++;
      // Credits go back in groups of half the window (at least one) to save messages, never fewer in flight.
      if (connection != null && cursor.creditsToReturn >= Math.max(1, settings.creditWindow() / 2)) {
        connection.send(new Protocol.Credit(cursor.subscriptionId, cursor.creditsToReturn));
        cursor.creditsToReturn = 0;
      }
    }
  }
}
