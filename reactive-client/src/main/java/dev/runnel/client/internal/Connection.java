package dev.runnel.client.internal;

import dev.runnel.client.internal.Protocol.Message;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * One WebSocket connection to a broker's {@code /stream} endpoint. Outgoing messages go through a bounded queue;
 * incoming ones are decoded and handed to {@code onMessage} one at a time, on a stream thread. {@code onClosed} is
 * called once, when the connection ends for any reason (refused, dropped, closed by either side). Thread-safe.
 */
public final class Connection {

  private static final Duration STRICT_TIMEOUT = Duration.ofSeconds(30);

  private final BoundedSourceQueue<ByteString> outgoing;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Connection(BoundedSourceQueue<ByteString> outgoing) {
    this.outgoing = outgoing;
  }

  /**
   * Opens a connection; messages may be sent at once, they wait in the queue until the connection is up.
   *
   * @param queueSize how many outgoing messages may wait; a send beyond it fails and closes the connection
   */
  public static Connection open(ClassicActorSystemProvider system, String uri, int queueSize,
      Consumer<Message> onMessage, Consumer<Throwable> onClosed) {
    Materializer materializer = Materializer.matFromSystem(system);
    Sink<org.apache.pekko.http.javadsl.model.ws.Message, CompletionStage<Done>> incoming =
        Flow.<org.apache.pekko.http.javadsl.model.ws.Message>create()
            .mapAsync(1, message -> {
              if (!message.isText()) {
                return message.asBinaryMessage().toStrict(STRICT_TIMEOUT.toMillis(), materializer);
              }
              throw new Protocol.MalformedFrameException("the broker sent a text frame");
            })
            .map(binary -> Protocol.decode(binary.getStrictData()))
            .toMat(Sink.foreach(onMessage::accept), Keep.right());
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, org.apache.pekko.NotUsed>> queue =
        Source.<ByteString>queue(queueSize).preMaterialize(materializer);
    Source<org.apache.pekko.http.javadsl.model.ws.Message, org.apache.pekko.NotUsed> out =
        queue.second().map(BinaryMessage::create);
    Connection connection = new Connection(queue.first());
    CompletionStage<Done> done = Http.get(system)
        .singleWebSocketRequest(WebSocketRequest.create(uri),
            Flow.fromSinkAndSourceCoupledMat(incoming, out, Keep.left()), materializer)
        .second();
    done.whenComplete((ok, failure) -> {
      // The stream has ended, and its queue with it: completing the queue now would throw.
      connection.closed.set(true);
      onClosed.accept(failure != null ? failure : new IllegalStateException("connection to " + uri + " closed"));
    });
    return connection;
  }

  /** Queues a message; false when the connection is closed or its queue is full (then it is closed). */
  public boolean send(Message message) {
    if (closed.get()) {
      return false;
    }
    QueueOfferResult result = outgoing.offer(Protocol.encode(message));
    if (result != QueueOfferResult.enqueued()) {
      close();
      return false;
    }
    return true;
  }

  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        outgoing.complete();
      } catch (IllegalStateException streamAlreadyEnded) {
        // The connection ended on its own in the meantime; its queue went with it.
      }
    }
  }

  public boolean isClosed() {
    return closed.get();
  }
}
