package dev.runnel.broker.fuzz;

import com.typesafe.config.ConfigFactory;
import dev.runnel.client.internal.Protocol;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The native protocol over WebSocket: frames of every message type with random fields, mutated (bit flips,
 * truncation, random bytes, huge string lengths), text messages, and Produce frames carrying valid, bit-flipped or
 * (with {@code malformedBatches}) malformed batches. Each case is followed by a Metadata probe; it is answered when
 * the probe's result arrives, closed when the server closed the WebSocket, and hung otherwise within the bound.
 * Generation depends only on the {@link Random} it is given.
 */
final class StreamDoor implements AutoCloseable {

  static final int HANG_BOUND_MS = 25_000;
  private static final int PROBE = Integer.MIN_VALUE + 11;

  private final int port;
  private final List<String> topics;
  private final boolean malformedBatches;
  private final ActorSystem client;
  private BoundedSourceQueue<Message> out;
  private BlockingQueue<Object> in;
  private CompletableFuture<Void> closed;

  StreamDoor(int port, List<String> topics, boolean malformedBatches) {
    this.port = port;
    this.topics = topics;
    this.malformedBatches = malformedBatches;
    this.client = ActorSystem.create("fuzz-client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  void run(long seed, Random random, long firstIndex, int cases, long deadlineNanos, FuzzStats stats)
      throws InterruptedException {
    for (int i = 0; i < cases && System.nanoTime() < deadlineNanos; i++) {
      Pair<Message, String> next = nextCase(random);
      long index = firstIndex + i;
      stats.cases.incrementAndGet();
      switch (exchange(next.first())) {
        case "answered" -> stats.answered.incrementAndGet();
        case "closed" -> stats.closed.incrementAndGet();
        default -> stats.hang(seed, index, next.second());
      }
    }
  }

  private Pair<Message, String> nextCase(Random random) {
    if (random.nextInt(40) == 0) {
      return Pair.create(TextMessage.create(Mutations.segment(random)), "text message");
    }
    Protocol.Message message = message(random);
    byte[] frame = Protocol.encode(message).toArray();
    String what = message.getClass().getSimpleName();
    switch (random.nextInt(8)) {
      case 0: Mutations.flipBits(random, frame, 1 + random.nextInt(6)); what += " bit-flipped"; break;
      case 1: frame = Mutations.truncate(random, frame); what += " truncated"; break;
      case 2: {
        frame = new byte[random.nextInt(100)];
        random.nextBytes(frame);
        what = "random bytes";
        break;
      }
      case 3: {
        // A huge length where a string's length or a count is read.
        if (frame.length >= 9) {
          java.nio.ByteBuffer.wrap(frame).putShort(5 + random.nextInt(Math.min(4, frame.length - 6)),
              (short) (0x7fff - random.nextInt(3)));
        }
        what += " huge length";
        break;
      }
      default: break;
    }
    return Pair.create(BinaryMessage.create(ByteString.fromArray(frame)), what);
  }

  private Protocol.Message message(Random random) {
    String topic = random.nextInt(6) == 0 ? Mutations.segment(random) : topics.get(random.nextInt(topics.size()));
    int partition = random.nextInt(8) == 0 ? random.nextInt() : random.nextInt(3);
    int ref = random.nextInt(1000);
    switch (random.nextInt(16)) {
      case 0: return new Protocol.Metadata(ref, topic);
      case 1: case 2: case 3: return new Protocol.Produce(ref, topic, partition, (short) (random.nextInt(4) - 2),
          ByteString.fromArray(batch(random)));
      case 4: return new Protocol.Subscribe(ref, topic, partition, random.nextInt(5) - 2,
          random.nextBoolean() ? 1 + random.nextInt(1 << 20) : random.nextInt(), random.nextInt(200));
      case 5: return new Protocol.Credit(ref, random.nextBoolean() ? 1 + random.nextInt(10) : random.nextInt());
      case 6: return new Protocol.Cancel(ref);
      case 7: return new Protocol.InitProducerId(ref);
      case 8: return new Protocol.JoinGroup(ref, "fuzz-native", "", 6_000 + random.nextInt(10_000), 10_000,
          "range", List.of(topic), List.of(), -1);
      case 9: return new Protocol.Heartbeat(ref, "fuzz-native", Mutations.segment(random), random.nextInt(5));
      case 10: return new Protocol.LeaveGroup(ref, "fuzz-native", Mutations.segment(random));
      case 11: return new Protocol.OffsetCommit(ref, "fuzz-native", "", -1,
          List.of(new Protocol.PartitionOffset(topic, partition, random.nextLong())));
      case 12: return new Protocol.OffsetFetch(ref, "fuzz-native", List.of(new Protocol.TopicPartition(topic, 0)));
      case 13: return new Protocol.ConditionalProduce(ref, topic, partition, random.nextInt(6) - 3L,
          random.nextInt(6) - 3L, random.nextInt(6) - 3L,
          random.nextBoolean() ? null : ByteString.fromArray(Mutations.segment(random).getBytes(
              java.nio.charset.StandardCharsets.UTF_8)), ByteString.fromArray(batch(random)));
      case 14: return new Protocol.ReadKey(ref, topic, partition, random.nextInt(5) - 2L,
          random.nextInt(4) == 0 ? null : ByteString.fromString(Mutations.segment(random)));
      default: return new Protocol.Records(ref, random.nextLong(), ByteString.fromArray(batch(random)));
    }
  }

  private byte[] batch(Random random) {
    int kind = random.nextInt(4);
    if (malformedBatches && kind == 0) {
      return Batches.malformed(random, random.nextInt(Batches.KINDS));
    }
    if (malformedBatches && kind == 1) {
      return Batches.bitFlipped(random);
    }
    return Batches.valid(random, 1 + random.nextInt(5));
  }

  /** "answered", "closed" or "hang". */
  private String exchange(Message frame) throws InterruptedException {
    if (closed == null || closed.isDone()) {
      connect();
    }
    out.offer(frame);
    out.offer(BinaryMessage.create(Protocol.encode(new Protocol.Metadata(PROBE, NodeChecks.LIVENESS))));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HANG_BOUND_MS);
    while (System.nanoTime() < deadline) {
      Object received = in.poll(100, TimeUnit.MILLISECONDS);
      if (received instanceof Protocol.MetadataResult result && result.correlationId() == PROBE) {
        return "answered";
      }
      if (received == null && closed.isDone()) {
        return "closed";
      }
    }
    closed.complete(null);
    out.complete();
    return "hang";
  }

  private void connect() {
    Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> queue =
        Source.<Message>queue(1024).preMaterialize(client);
    BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    Sink<Message, NotUsed> incoming = Flow.<Message>create()
        .filter(message -> !message.isText())
        .mapAsync(1, message -> message.asBinaryMessage().toStrict(10_000, Materializer.matFromSystem(client)))
        .map(binary -> {
          try {
            return (Object) Protocol.decode(binary.getStrictData());
          } catch (Protocol.MalformedFrameException e) {
            return e;
          }
        })
        .to(Sink.foreach(received::add));
    Http.get(client).singleWebSocketRequest(
        WebSocketRequest.create("ws://127.0.0.1:" + port + "/stream"),
        Flow.fromSinkAndSourceCoupled(incoming, queue.second()).watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> ended.complete(null));
          return NotUsed.getInstance();
        }),
        Materializer.matFromSystem(client));
    out = queue.first();
    in = received;
    closed = ended;
  }

  @Override
  public void close() throws Exception {
    if (out != null) {
      out.complete();
    }
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
