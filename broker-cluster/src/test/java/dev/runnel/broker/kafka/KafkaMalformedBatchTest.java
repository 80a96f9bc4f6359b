package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.MalformedBatches;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of malformed batch produced on the Kafka port, over a raw connection so the bytes are exactly the bad
 * ones: each is refused with Kafka's error for its partition, nothing of it is stored, and kafka-clients' consumer then
 * reads the partition's good records to the end.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaMalformedBatchTest {

  private static final AtomicInteger TOPICS = new AtomicInteger();

  private static RunnelNode node;
  private static RawKafkaConnection connection;
  private static KafkaConsumer<String, String> consumer;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(),
        Map.of("runnel.broker.append-validation.max-decompressed-batch-bytes", "1 MiB"));
    connection = new RawKafkaConnection(node.kafkaPort());
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(),
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.CHECK_CRCS_CONFIG, true));
  }

  @AfterAll
  static void stop() throws Exception {
    consumer.close();
    connection.close();
    node.close();
  }

  static List<MalformedBatches.Kind> kinds() {
    return MalformedBatches.kinds();
  }

  static ProduceRequest produce(String topic, ByteBuffer records, short version) {
    ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
    ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData().setName(topic);
    topicData.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0)
        .setRecords(MemoryRecords.readableRecords(records)));
    data.topicData().add(topicData);
    return new ProduceRequest(data, version);
  }

  private static PartitionProduceResponse answer(ProduceResponse response) {
    return response.data().responses().iterator().next().partitionResponses().get(0);
  }

  private static String newTopic() throws Exception {
    String topic = "malformed-" + TOPICS.incrementAndGet();
    node.broker().createTopic(topic, 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    return topic;
  }

  /** The values kafka-clients' consumer reads from the partition, from its start to its log end. */
  private static List<String> readAll(String topic) {
    TopicPartition partition = new TopicPartition(topic, 0);
    consumer.assign(List.of(partition));
    consumer.seekToBeginning(List.of(partition));
    long end = consumer.endOffsets(List.of(partition)).get(partition);
    List<String> values = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (consumer.position(partition) < end && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
        assertEquals(values.size(), record.offset(), "offsets run 0, 1, 2, ... with no gap");
        values.add(record.value());
      }
    }
    return values;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void when_aMalformedBatchIsProduced_then_itIsRefusedAndThePartitionStaysReadable(MalformedBatches.Kind kind)
      throws Exception {
    String topic = newTopic();
    long now = System.currentTimeMillis();
    ProduceResponse before = connection.call(produce(topic, MalformedBatches.good(now), (short) 11));
    assertEquals(Errors.NONE.code(), answer(before).errorCode());

    PartitionProduceResponse refused = answer(connection.call(produce(topic, kind.bytes().apply(now), (short) 11)));
    assertEquals(kind.error().code(), refused.errorCode(),
        kind.name() + " answered " + Errors.forCode(refused.errorCode()) + ": " + refused.errorMessage());
    assertEquals(3, node.broker().status(node.broker().partition(topic, 0)).toCompletableFuture()
        .get(30, TimeUnit.SECONDS).logEndOffset(), "nothing of the refused batch is stored");

    PartitionProduceResponse after = answer(connection.call(produce(topic, MalformedBatches.good(now), (short) 11)));
    assertEquals(Errors.NONE.code(), after.errorCode(), "the connection and the partition go on");
    assertEquals(3, after.baseOffset());
    assertEquals(List.of("good-0", "good-1", "good-2", "good-0", "good-1", "good-2"), readAll(topic));
  }

  @Test
  void when_aNegativeLastOffsetDeltaIsPipelinedBeforeGoodAppends_then_allAreAnsweredAtOnceAndThePartitionLives()
      throws Exception {
    String topic = newTopic();
    long now = System.currentTimeMillis();
    ByteBuffer negative = MalformedBatches.withHeaderInt(MalformedBatches.good(now),
        MalformedBatches.LAST_OFFSET_DELTA, -5);
    long started = System.nanoTime();
    RequestHeader bad = connection.send(produce(topic, negative, (short) 8));
    RequestHeader good = connection.send(produce(topic, MalformedBatches.good(now), (short) 8));
    RequestHeader alsoGood = connection.send(produce(topic, MalformedBatches.good(now), (short) 8));
    assertEquals(Errors.INVALID_RECORD.code(), answer((ProduceResponse) connection.receive(bad)).errorCode());
    assertEquals(0, answer((ProduceResponse) connection.receive(good)).baseOffset());
    assertEquals(3, answer((ProduceResponse) connection.receive(alsoGood)).baseOffset());
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(tookMs < 5_000, "the appends behind the bad one were not held up (took " + tookMs + " ms)");
    assertEquals(6, readAll(topic).size());
  }

  @Test
  void when_produceV8RequestsHaveBitsFlipped_then_eachIsAnsweredOrItsConnectionClosedPromptly() throws Exception {
    String topic = newTopic();
    long now = System.currentTimeMillis();
    ProduceRequest request = produce(topic, MalformedBatches.good(now), (short) 8);
    Random random = new Random(15);
    int answered = 0;
    for (int i = 0; i < 60; i++) {
      try (RawKafkaConnection flipped = new RawKafkaConnection(node.kafkaPort())) {
        RequestHeader header = new RequestHeader(ApiKeys.PRODUCE, (short) 8, "raw-test", 1);
        ByteBuffer body = request.serializeWithHeader(header);
        byte[] bytes = new byte[body.remaining()];
        body.get(bytes);
        int headerBytes = 2 + 2 + 4 + 2 + "raw-test".length();
        int at = headerBytes + random.nextInt(bytes.length - headerBytes);
        bytes[at] ^= (byte) (1 << random.nextInt(8));
        flipped.writeRaw(ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).array());
        long started = System.nanoTime();
        try {
          ProduceResponse response = (ProduceResponse) flipped.receive(header);
          assertEquals(1, response.data().responses().size(), "one answer per topic");
          answered++;
        } catch (java.io.IOException | RuntimeException closedOrUnreadable) {
          // Kafka closes a connection whose request does not parse; the point is that it does so promptly.
        }
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(tookMs < 5_000, "flip at byte " + at + " was answered or closed after " + tookMs + " ms");
      }
    }
    assertTrue(answered > 0, "flips in the records are answered with a per-partition error");
    PartitionProduceResponse after = answer(connection.call(produce(topic, MalformedBatches.good(now), (short) 8)));
    assertEquals(Errors.NONE.code(), after.errorCode());
    List<String> values = readAll(topic);
    assertEquals(after.baseOffset() + 3, values.size(), "whatever was accepted, kafka-clients reads it all");
  }
}
