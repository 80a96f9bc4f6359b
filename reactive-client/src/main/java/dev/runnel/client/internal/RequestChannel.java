package dev.runnel.client.internal;

import dev.runnel.client.internal.Protocol.Message;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * Request and answer over the native protocol, paired by correlation id: each {@link #request} sends one message
 * and completes with the broker's answer to it. Requests are pipelined on one connection, opened at the first
 * request; a lost connection fails the requests it carried (with {@link ConnectionLostException}, which the
 * caller may retry: the request may or may not have been handled), and the next request opens a new one, to the
 * next broker of the bootstrap list. A request unanswered after the request timeout fails with a
 * {@link TimeoutException} and takes the connection down with it (the broker is taken for dead, as Kafka's
 * request.timeout.ms does). Thread-safe.
 */
public final class RequestChannel implements AutoCloseable {

  /** The connection carrying a request ended before its answer came. */
  public static final class ConnectionLostException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConnectionLostException(Throwable cause) {
      super("the connection to the broker was lost: " + cause.getMessage(), cause);
    }
  }

  private record Pending(CompletableFuture<Message> answer, Connection connection) {}

  private final ClassicActorSystemProvider system;
  private final List<String> brokers;
  private final Duration requestTimeout;
  private final int queueSize;
  private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicInteger correlationIds = new AtomicInteger();
  private int nextBroker;
  private Connection connection;
  private boolean closed;

  public RequestChannel(ClassicActorSystemProvider system, List<String> brokers, Duration requestTimeout,
      int queueSize) {
    this.system = system;
    this.brokers = List.copyOf(brokers);
    this.requestTimeout = requestTimeout;
    this.queueSize = queueSize;
  }

  /** Sends the message {@code build} makes from a fresh correlation id; completes with the broker's answer. */
  public CompletionStage<Message> request(IntFunction<Message> build) {
    int correlationId = correlationIds.incrementAndGet();
    CompletableFuture<Message> answer = new CompletableFuture<>();
    Connection current;
    synchronized (this) {
      if (closed) {
        return CompletableFuture.failedFuture(new IllegalStateException("the channel is closed"));
      }
      if (connection == null || connection.isClosed()) {
        connection = open();
      }
      current = connection;
    }
    pending.put(correlationId, new Pending(answer, current));
    if (!current.send(build.apply(correlationId))) {
      pending.remove(correlationId);
      return CompletableFuture.failedFuture(new ConnectionLostException(
          new IllegalStateException("the connection's send queue of " + queueSize + " is full or closed")));
    }
    system.classicSystem().scheduler().scheduleOnce(
        scala.concurrent.duration.Duration.create(requestTimeout.toMillis(), TimeUnit.MILLISECONDS),
        () -> {
          Pending late = pending.remove(correlationId);
          if (late != null) {
            late.answer().completeExceptionally(new TimeoutException(
                "the broker did not answer in " + requestTimeout + "; the connection is closed"));
            late.connection().close();
          }
        },
        system.classicSystem().dispatcher());
    return answer;
  }

  private Connection open() {
    String uri = brokers.get(Math.floorMod(nextBroker++, brokers.size()));
    Connection[] opened = new Connection[1];
    opened[0] = Connection.open(system, uri, queueSize, this::onMessage, failure -> onClosed(opened[0], failure));
    return opened[0];
  }

  private void onMessage(Message message) {
    int correlationId = correlationId(message);
    Pending request = pending.remove(correlationId);
    if (request != null) {
      request.answer().complete(message);
    }
  }

  private static int correlationId(Message message) {
    if (message instanceof Protocol.ConditionalAck ack) {
      return ack.correlationId();
    } else if (message instanceof Protocol.KeyRecords records) {
      return records.correlationId();
    } else if (message instanceof Protocol.MetadataResult metadata) {
      return metadata.correlationId();
    } else if (message instanceof Protocol.ProduceAck ack) {
      return ack.correlationId();
    } else if (message instanceof Protocol.ProducerIdResult result) {
      return result.correlationId();
    } else if (message instanceof Protocol.TxnResult result) {
      return result.correlationId();
    } else if (message instanceof Protocol.Error error) {
      return error.ref();
    }
    return Protocol.NO_REF;
  }

  /** Fails the requests the closed connection carried; those of a newer connection go on. */
  private void onClosed(Connection closedConnection, Throwable failure) {
    for (var entry : pending.entrySet()) {
      if (entry.getValue().connection() == closedConnection && pending.remove(entry.getKey(), entry.getValue())) {
        entry.getValue().answer().completeExceptionally(new ConnectionLostException(failure));
      }
    }
  }

  @Override
  public void close() {
    Connection last;
    synchronized (this) {
      closed = true;
      last = connection;
    }
    if (last != null) {
      last.close();
    }
  }
}
