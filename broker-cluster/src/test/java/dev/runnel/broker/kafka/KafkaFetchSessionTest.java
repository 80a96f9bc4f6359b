package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchRequestData.ForgottenTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Incremental fetch sessions (KIP-227): a raw sequence of session fetches, by topic name (v12) and by topic id
 * (the latest version), and the real kafka-clients consumer, which uses sessions by itself, over many partitions.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaFetchSessionTest {

  private static RunnelNode node;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @ParameterizedTest(name = "Fetch v{0}")
  @ValueSource(shorts = {12, 13, Short.MAX_VALUE})
  void when_clientFetchesIncrementally_then_onlyPartitionsWithNewsAreAnsweredUntilTheSessionCloses(short asked)
      throws Exception {
    short version = asked == Short.MAX_VALUE ? ApiKeys.FETCH.latestVersion() : asked;
    boolean byId = version >= 13;
    String topic = "sessions-v" + version;
    node.broker().createTopic(topic, 3, Map.of()).toCompletableFuture().get();
    Uuid topicId = Uuid.fromString(node.broker().topic(topic).orElseThrow().topicId());
    for (int p = 0; p < 3; p++) {
      append(topic, p, "first");
      append(topic, p, "second");
    }
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      FetchResponseData full = fetch(connection, version, request(FetchMetadata.INVALID_SESSION_ID,
          FetchMetadata.INITIAL_EPOCH, fetchTopic(topic, topicId, byId, 0, 0, 1, 0, 2, 0)));
      assertEquals(Errors.NONE.code(), full.errorCode());
      int session = full.sessionId();
      assertNotEquals(FetchMetadata.INVALID_SESSION_ID, session, "a full fetch at epoch 0 opens a session");
      assertEquals(Map.of(0, 2, 1, 2, 2, 2), batchesByPartition(full), "a full response holds every partition");

      FetchResponseData caughtUp = fetch(connection, version,
          request(session, 1, fetchTopic(topic, topicId, byId, 0, 2, 1, 2, 2, 2)));
      assertEquals(Errors.NONE.code(), caughtUp.errorCode());
      assertEquals(session, caughtUp.sessionId());
      assertEquals(Map.of(), batchesByPartition(caughtUp), "nothing new: no partition in the answer");

      append(topic, 1, "third");
      FetchResponseData news = fetch(connection, version, request(session, 2));
      assertEquals(Map.of(1, 1), batchesByPartition(news),
          "an incremental fetch naming no partition still reads the session's, and answers the one with news");
      assertEquals(3, partition(news, 1).highWatermark());

      FetchResponseData stale = fetch(connection, version, request(session, 2));
      assertEquals(Errors.INVALID_FETCH_SESSION_EPOCH.code(), stale.errorCode(), "epoch 2 was used already");
      FetchResponseData unknown = fetch(connection, version, request(session + 1, 1));
      assertEquals(Errors.FETCH_SESSION_ID_NOT_FOUND.code(), unknown.errorCode());

      append(topic, 0, "fourth");
      append(topic, 1, "fifth");
      FetchRequestData forget = request(session, 3);
      forget.forgottenTopicsData().add(new ForgottenTopic().setTopic(byId ? "" : topic)
          .setTopicId(byId ? topicId : Uuid.ZERO_UUID).setPartitions(List.of(1)));
      FetchResponseData afterForget = fetch(connection, version, forget);
      assertEquals(Map.of(0, 1), batchesByPartition(afterForget),
          "partition 0 has a batch past the session's position; partition 1 is forgotten");

      FetchResponseData closing = fetch(connection, version, request(session, FetchMetadata.FINAL_EPOCH,
          fetchTopic(topic, topicId, byId, 2, 0)));
      assertEquals(FetchMetadata.INVALID_SESSION_ID, closing.sessionId(), "epoch -1 closes the session");
      assertEquals(Map.of(2, 2), batchesByPartition(closing), "and is answered as a sessionless full fetch");
      assertEquals(Errors.FETCH_SESSION_ID_NOT_FOUND.code(),
          fetch(connection, version, request(session, 4)).errorCode());
    }
  }

  @Test
  void when_consumerReadsManyPartitionsInSmallSteps_then_everyRecordArrivesOnceInOrder() throws Exception {
    String topic = "sessions-consumer";
    int partitions = 24;
    node.broker().createTopic(topic, partitions, Map.of()).toCompletableFuture().get();
    Map<String, Object> producerConfig = new HashMap<>();
    producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort());
    producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    producerConfig.put(ProducerConfig.BATCH_SIZE_CONFIG, 2048);
    Properties consumerConfig = new Properties();
    consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort());
    consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    // Small limits: each fetch reads a little of a few partitions, so the session's positions move many times.
    consumerConfig.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4096);
    consumerConfig.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16384);
    consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
    List<TopicPartition> assigned = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      assigned.add(new TopicPartition(topic, p));
    }
    Map<Integer, List<String>> sent = new TreeMap<>();
    Map<Integer, List<String>> received = new TreeMap<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig)) {
      consumer.assign(assigned);
      consumer.seekToBeginning(assigned);
      int expected = 0;
      // Rounds that write to ever fewer partitions: the others stay in the session with nothing new.
      for (int round = 0; round < 4; round++) {
        int writtenTo = partitions >> round;
        for (int i = 0; i < 100 * writtenTo; i++) {
          int p = i % writtenTo;
          String value = "r" + round + "-" + i + "-" + "x".repeat(100);
          producer.send(new ProducerRecord<>(topic, p, null, value));
          sent.computeIfAbsent(p, k -> new ArrayList<>()).add(value);
          expected++;
        }
        producer.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int count = received.values().stream().mapToInt(List::size).sum();
        while (count < expected && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
            List<String> values = received.computeIfAbsent(record.partition(), k -> new ArrayList<>());
            assertEquals(values.size(), record.offset(), "partition " + record.partition() + " in order, no gap");
            values.add(record.value());
            count++;
          }
        }
        assertEquals(expected, count, "records consumed by the end of round " + round);
      }
      assertTrue(consumer.poll(Duration.ofMillis(500)).isEmpty(), "nothing twice");
    }
    assertEquals(sent, received);
  }

  private static void append(String topic, int partition, String value) throws Exception {
    node.broker().append(node.broker().partition(topic, partition), MemoryRecords.withRecords(Compression.NONE,
        new SimpleRecord(value.getBytes(StandardCharsets.UTF_8))).buffer(), (short) 1).toCompletableFuture().get();
  }

  /** A topic of a request with partitions and fetch offsets given as pairs: partition, offset, partition, ... */
  private static FetchTopic fetchTopic(String topic, Uuid topicId, boolean byId, long... partitionsAndOffsets) {
    FetchTopic fetchTopic = new FetchTopic().setTopic(byId ? "" : topic).setTopicId(byId ? topicId : Uuid.ZERO_UUID);
    for (int i = 0; i < partitionsAndOffsets.length; i += 2) {
      fetchTopic.partitions().add(new FetchPartition().setPartition((int) partitionsAndOffsets[i])
          .setFetchOffset(partitionsAndOffsets[i + 1]).setPartitionMaxBytes(1 << 20));
    }
    return fetchTopic;
  }

  private static FetchRequestData request(int sessionId, int epoch, FetchTopic... topics) {
    return new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1 << 20)
        .setSessionId(sessionId).setSessionEpoch(epoch).setTopics(new ArrayList<>(List.of(topics)));
  }

  private static FetchResponseData fetch(RawKafkaConnection connection, short version, FetchRequestData data)
      throws Exception {
    FetchResponse response = connection.call(new FetchRequest(data, version));
    return response.data();
  }

  /** The batches each partition in the response holds. */
  private static Map<Integer, Integer> batchesByPartition(FetchResponseData response) {
    Map<Integer, Integer> batches = new TreeMap<>();
    for (FetchResponseData.FetchableTopicResponse topic : response.responses()) {
      for (FetchResponseData.PartitionData partition : topic.partitions()) {
        int count = 0;
        for (var batch : ((MemoryRecords) partition.records()).batches()) {
          count++;
        }
        batches.merge(partition.partitionIndex(), count, Integer::sum);
      }
    }
    return batches;
  }

  private static FetchResponseData.PartitionData partition(FetchResponseData response, int index) {
    return response.responses().stream().flatMap(topic -> topic.partitions().stream())
        .filter(partition -> partition.partitionIndex() == index).findFirst().orElseThrow();
  }
}
