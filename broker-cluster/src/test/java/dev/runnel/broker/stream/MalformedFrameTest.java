package dev.runnel.broker.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.RecordMetadata;
import dev.runnel.client.RunnelException;
import dev.runnel.client.Subscription;
import dev.runnel.client.internal.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Frames that are not the protocol, sent over a raw WebSocket next to well-behaved clients. */
@Timeout(120)
class MalformedFrameTest {

  private RunnelNode node;
  private ActorSystem client;

  @BeforeEach
  void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  @AfterEach
  void stop() throws Exception {
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    node.close();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** A WebSocket that sends whatever bytes it is given and decodes what comes back. */
  private final class RawSocket {
    final BoundedSourceQueue<Message> out;
    final BlockingQueue<Protocol.Message> in = new LinkedBlockingQueue<>();
    final java.util.concurrent.CompletableFuture<Void> closed = new java.util.concurrent.CompletableFuture<>();

    RawSocket() {
      Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> queue =
          Source.<Message>queue(64).preMaterialize(client);
      out = queue.first();
      Sink<Message, NotUsed> incoming = Flow.<Message>create()
          .mapAsync(1, message -> message.asBinaryMessage().toStrict(10_000, Materializer.matFromSystem(client)))
          .map(binary -> Protocol.decode(binary.getStrictData()))
          .to(Sink.foreach(in::add));
      Http.get(client).singleWebSocketRequest(
          WebSocketRequest.create("ws://127.0.0.1:" + node.httpPort() + "/stream"),
          Flow.fromSinkAndSourceCoupled(incoming, queue.second())
              .watchTermination((notUsed, done) -> {
                done.whenComplete((ok, failure) -> closed.complete(null));
                return NotUsed.getInstance();
              }),
          Materializer.matFromSystem(client));
    }

    Protocol.Message exchange(ByteString frame) throws InterruptedException {
      out.offer(BinaryMessage.create(frame));
      return next();
    }

    Protocol.Message next() throws InterruptedException {
      Protocol.Message answer = in.poll(30, TimeUnit.SECONDS);
      if (answer == null) {
        throw new AssertionError("no answer from the broker in 30 s");
      }
      return answer;
    }
  }

  private static ByteString batch(String... values) {
    SimpleRecord[] records = new SimpleRecord[values.length];
    for (int i = 0; i < values.length; i++) {
      records[i] = new SimpleRecord(System.currentTimeMillis(), null, values[i].getBytes(StandardCharsets.UTF_8));
    }
    ByteBuffer buffer = MemoryRecords.withRecords(Compression.NONE, records).buffer();
    return ByteString.fromByteBuffer(buffer);
  }

  @Test
  void when_clientAsksForAPartitionThatDoesNotExist_then_itGetsKafkasErrorAndNothingIsStored() throws Exception {
    await(node.broker().createTopic("small", 2, Map.of()));
    String bootstrap = "ws://127.0.0.1:" + node.httpPort();
    try (Producer producer = Producer.create(ProducerSettings.create(client).withBootstrap(bootstrap), client)) {
      Throwable refused = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
          () -> await(producer.send(ProducerRecord.of("small", "x".getBytes(StandardCharsets.UTF_8))
              .withPartition(5)))).getCause();
      RunnelException produceError = assertInstanceOf(RunnelException.class, refused);
      assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, produceError.error());
    }
    ConsumerSettings consumerSettings = ConsumerSettings.create(client).withBootstrap(bootstrap);
    Throwable failed = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
        () -> await(Consumer.plainSource(consumerSettings, Subscription.earliest("small", 0, 7))
            .runWith(Sink.seq(), client))).getCause();
    RunnelException subscribeError = assertInstanceOf(RunnelException.class, failed);
    assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, subscribeError.error(), subscribeError.getMessage());

    RawSocket raw = new RawSocket();
    Protocol.Error outOfRange = assertInstanceOf(Protocol.Error.class, raw.exchange(Protocol.encode(
        new Protocol.Subscribe(3, "small", 0, -7, 1024, 100))));
    assertEquals(3, outOfRange.ref());
    assertEquals(Errors.OFFSET_OUT_OF_RANGE.code(), outOfRange.errorCode());
    raw.out.complete();
    for (int p = 0; p < 2; p++) {
      assertEquals(0, await(node.broker().status(node.broker().partition("small", p))).logEndOffset());
    }
  }

  @Test
  void when_aMessageIsOverTheSizeLimit_then_onlyItsConnectionIsClosed() throws Exception {
    await(node.broker().createTopic("bounded", 1, Map.of()));
    RawSocket raw = new RawSocket();
    Protocol.MetadataResult before = assertInstanceOf(Protocol.MetadataResult.class,
        raw.exchange(Protocol.encode(new Protocol.Metadata(1, "bounded"))));
    assertEquals(1, before.partitions());
    byte[] huge = new byte[17 << 20];
    raw.out.offer(BinaryMessage.create(ByteString.fromArray(huge)));
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> raw.closed.isDone());

    ProducerSettings settings = ProducerSettings.create(client).withBootstrap("ws://127.0.0.1:" + node.httpPort());
    try (Producer producer = Producer.create(settings, client)) {
      RecordMetadata stored = await(producer.send(ProducerRecord.of("bounded", "fine".getBytes(StandardCharsets.UTF_8))));
      assertEquals(0, stored.offset(), "other connections are served, and nothing of the huge message was stored");
    }
  }

  @Test
  void when_framesAreGarbageOrTruncated_then_errorsAreAnsweredAndNothingElseIsHarmed() throws Exception {
    await(node.broker().createTopic("intact", 1, Map.of()));
    ProducerSettings producerSettings = ProducerSettings.create(client).withBootstrap("ws://127.0.0.1:" + node.httpPort());
    try (Producer producer = Producer.create(producerSettings, client)) {
      for (int i = 0; i < 100; i++) {
        await(producer.send(ProducerRecord.of("intact", ("before-" + i).getBytes(StandardCharsets.UTF_8))));
      }

      RawSocket raw = new RawSocket();
      byte[] garbage = new byte[37];
      new Random(42).nextBytes(garbage);
      garbage[0] = 0x7f;
      Protocol.Error unknown = assertInstanceOf(Protocol.Error.class, raw.exchange(ByteString.fromArray(garbage)));
      assertEquals(Errors.INVALID_REQUEST.code(), unknown.errorCode(), unknown.message());
      assertEquals(Protocol.NO_REF, unknown.ref());

      ByteString subscribe = Protocol.encode(new Protocol.Subscribe(1, "intact", 0, 0, 1024, 100));
      Protocol.Error truncated = assertInstanceOf(Protocol.Error.class, raw.exchange(subscribe.take(10)));
      assertEquals(Errors.INVALID_REQUEST.code(), truncated.errorCode(), truncated.message());

      ByteString produce = Protocol.encode(new Protocol.Produce(7, "intact", 0, (short) -1, batch("cut", "short")));
      Protocol.ProduceAck cut = assertInstanceOf(Protocol.ProduceAck.class,
          raw.exchange(produce.take(produce.size() - 9)));
      assertEquals(7, cut.correlationId());
      assertNotEquals(Errors.NONE.code(), cut.errorCode(), "a cut batch is refused: " + cut.message());

      byte[] noise = new byte[200];
      new Random(7).nextBytes(noise);
      Protocol.ProduceAck noisy = assertInstanceOf(Protocol.ProduceAck.class, raw.exchange(Protocol.encode(
          new Protocol.Produce(8, "intact", 0, (short) -1, ByteString.fromArray(noise)))));
      assertNotEquals(Errors.NONE.code(), noisy.errorCode(), "random bytes are refused: " + noisy.message());

      ByteString txnCommit = Protocol.encode(new Protocol.TxnOffsetCommit(10, "tx", 7L, (short) 0, "g", "m", 1,
          List.of(new Protocol.PartitionOffset("intact", 0, 5L))));
      Protocol.Error cutTxn = assertInstanceOf(Protocol.Error.class, raw.exchange(txnCommit.take(txnCommit.size() - 3)));
      assertEquals(Errors.INVALID_REQUEST.code(), cutTxn.errorCode(), cutTxn.message());
      ByteString endTxn = Protocol.encode(new Protocol.EndTxn(11, "tx", 7L, (short) 0, true));
      Protocol.Error badFlag = assertInstanceOf(Protocol.Error.class, raw.exchange(
          endTxn.take(endTxn.size() - 1).concat(ByteString.fromArray(new byte[] {5}))));
      assertEquals(Errors.INVALID_REQUEST.code(), badFlag.errorCode(), badFlag.message());
      Protocol.TxnResult noId = assertInstanceOf(Protocol.TxnResult.class, raw.exchange(Protocol.encode(
          new Protocol.EndTxn(12, "", 7L, (short) 0, true))));
      assertEquals(Errors.INVALID_REQUEST.code(), noId.errorCode(), "an empty transactional id: " + noId.message());
      Protocol.TxnResult uninitialized = assertInstanceOf(Protocol.TxnResult.class, raw.exchange(Protocol.encode(
          new Protocol.AddPartitionsToTxn(13, "never-initialized", 7L, (short) 0,
              List.of(new Protocol.TopicPartition("intact", 0))))));
      assertEquals(Errors.INVALID_PRODUCER_ID_MAPPING.code(), uninitialized.errorCode(), uninitialized.message());
      Protocol.TxnResult noPartitions = assertInstanceOf(Protocol.TxnResult.class, raw.exchange(Protocol.encode(
          new Protocol.AddPartitionsToTxn(14, "never-initialized", 7L, (short) 0, List.of()))));
      assertEquals(Errors.INVALID_REQUEST.code(), noPartitions.errorCode(), noPartitions.message());

      raw.out.offer(TextMessage.create("{\"hello\": 1}"));
      Protocol.Error text = assertInstanceOf(Protocol.Error.class, raw.next());
      assertEquals(Errors.INVALID_REQUEST.code(), text.errorCode());

      Protocol.MetadataResult metadata = assertInstanceOf(Protocol.MetadataResult.class,
          raw.exchange(Protocol.encode(new Protocol.Metadata(9, "intact"))));
      assertEquals(1, metadata.partitions(), "the same connection still answers well-formed requests");
      raw.out.complete();

      RecordMetadata next = await(producer.send(ProducerRecord.of("intact", "after".getBytes(StandardCharsets.UTF_8))));
      assertEquals(100, next.offset(), "the refused batches took no offsets");
    }

    ConsumerSettings consumerSettings = ConsumerSettings.create(client)
        .withBootstrap("ws://127.0.0.1:" + node.httpPort());
    List<ConsumerRecord> records = await(Consumer.plainSource(consumerSettings, Subscription.earliest("intact", 0))
        .take(101)
        .runWith(Sink.seq(), client));
    for (int i = 0; i < 100; i++) {
      assertEquals("before-" + i, new String(records.get(i).value(), StandardCharsets.UTF_8));
    }
    assertEquals("after", new String(records.get(100).value(), StandardCharsets.UTF_8));
    assertEquals(101, await(node.broker().status(node.broker().partition("intact", 0))).logEndOffset());
    assertEquals(200, await(Http.get(client).singleRequest(
        HttpRequest.create("http://127.0.0.1:" + node.httpPort() + "/health"))).status().intValue(),
        "the node is healthy");
  }
}
