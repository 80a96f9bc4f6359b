package dev.runnel.broker.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.MalformedBatches;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.internal.Protocol;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of malformed batch sent as a native Produce over one WebSocket: each is answered with Kafka's error,
 * nothing of it is stored, the same socket goes on producing, and kafka-clients' consumer reads the partition's
 * good records to the end.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NativeMalformedBatchTest {

  private static final AtomicInteger TOPICS = new AtomicInteger();
  private static final AtomicInteger CORRELATION = new AtomicInteger();

  private static RunnelNode node;
  private static ActorSystem client;
  private static BoundedSourceQueue<Message> out;
  private static final BlockingQueue<Protocol.Message> in = new LinkedBlockingQueue<>();
  private static KafkaConsumer<String, String> consumer;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir(),
        Map.of("runnel.broker.append-validation.max-decompressed-batch-bytes", "1 MiB"));
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> queue = Source.<Message>queue(64).preMaterialize(client);
    out = queue.first();
    Sink<Message, NotUsed> incoming = Flow.<Message>create()
        .mapAsync(1, message -> message.asBinaryMessage().toStrict(10_000, Materializer.matFromSystem(client)))
        .map(binary -> Protocol.decode(binary.getStrictData()))
        .to(Sink.foreach(in::add));
    Http.get(client).singleWebSocketRequest(
        WebSocketRequest.create("ws://127.0.0.1:" + node.httpPort() + "/stream"),
        Flow.fromSinkAndSourceCoupled(incoming, queue.second()),
        Materializer.matFromSystem(client));
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(),
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
  }

  @AfterAll
  static void stop() throws Exception {
    consumer.close();
    out.complete();
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    node.close();
  }

  static List<MalformedBatches.Kind> kinds() {
    return MalformedBatches.kinds();
  }

  private static Protocol.ProduceAck produce(String topic, ByteBuffer batches) throws InterruptedException {
    int correlationId = CORRELATION.incrementAndGet();
    out.offer(BinaryMessage.create(Protocol.encode(
        new Protocol.Produce(correlationId, topic, 0, (short) -1, ByteString.fromByteBuffer(batches)))));
    Protocol.Message answer = in.poll(30, TimeUnit.SECONDS);
    Protocol.ProduceAck ack = assertInstanceOf(Protocol.ProduceAck.class, answer, "no ProduceAck in 30 s");
    assertEquals(correlationId, ack.correlationId());
    return ack;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void when_aMalformedBatchIsProduced_then_itIsRefusedAndThePartitionStaysReadable(MalformedBatches.Kind kind)
      throws Exception {
    String topic = "native-malformed-" + TOPICS.incrementAndGet();
    node.broker().createTopic(topic, 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    long now = System.currentTimeMillis();
    assertEquals(Errors.NONE.code(), produce(topic, MalformedBatches.good(now)).errorCode());

    Protocol.ProduceAck refused = produce(topic, kind.bytes().apply(now));
    assertEquals(kind.error().code(), refused.errorCode(),
        kind.name() + " answered " + Errors.forCode(refused.errorCode()) + ": " + refused.message());
    assertEquals(3, node.broker().status(node.broker().partition(topic, 0)).toCompletableFuture()
        .get(30, TimeUnit.SECONDS).logEndOffset(), "nothing of the refused batch is stored");

    Protocol.ProduceAck after = produce(topic, MalformedBatches.good(now));
    assertEquals(Errors.NONE.code(), after.errorCode(), "the socket and the partition go on");
    assertEquals(3, after.baseOffset());

    TopicPartition partition = new TopicPartition(topic, 0);
    consumer.assign(List.of(partition));
    consumer.seekToBeginning(List.of(partition));
    List<String> values = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (values.size() < 6 && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
        assertEquals(values.size(), record.offset());
        values.add(record.value());
      }
    }
    assertEquals(List.of("good-0", "good-1", "good-2", "good-0", "good-1", "good-2"), values);
  }
}
