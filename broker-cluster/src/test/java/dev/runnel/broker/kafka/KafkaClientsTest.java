package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real kafka-clients 4.4 producer, consumer and admin client against an in-process node. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaClientsTest {

  private static RunnelNode node;
  private static Admin admin;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
  }

  @AfterAll
  static void stop() {
    admin.close();
    node.close();
  }

  static String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  static KafkaProducer<String, String> producer(Map<String, Object> extra) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.putAll(extra);
    return new KafkaProducer<>(config);
  }

  static KafkaConsumer<String, String> consumer() {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(config);
  }

  @Test
  void when_adminCreatesDescribesAndDeletesTopics_then_brokerAgreesAndReportsKafkaErrors() throws Exception {
    admin.createTopics(List.of(new NewTopic("admin-a", 3, (short) 1)
        .configs(Map.of("retention.ms", "3600000", "cleanup.policy", "compact")))).all().get();
    admin.createTopics(List.of(new NewTopic("admin-b", java.util.Optional.empty(), java.util.Optional.empty())))
        .all().get();

    // Listings come from the node's replicated topic view, which may lag a creation by a moment.
    await().atMost(Duration.ofSeconds(10)).until(
        () -> admin.listTopics().names().get().containsAll(Set.of("admin-a", "admin-b")));
    TopicDescription described = admin.describeTopics(List.of("admin-a")).allTopicNames().get().get("admin-a");
    assertEquals(3, described.partitions().size());
    assertEquals(1, described.partitions().get(0).replicas().size(), "one replica");
    assertEquals(1, described.partitions().get(0).isr().size(), "the one replica is in sync");
    assertEquals(node.broker().topic("admin-a").orElseThrow().topicId(), described.topicId().toString());

    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "admin-a");
    Config configs = admin.describeConfigs(List.of(resource)).all().get().get(resource);
    assertEquals("3600000", configs.get("retention.ms").value());
    assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, configs.get("retention.ms").source());
    assertEquals("compact", configs.get("cleanup.policy").value());
    assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, configs.get("max.message.bytes").source());

    assertEquals(1, admin.describeCluster().nodes().get().size(), "one broker: this node");
    assertEquals(admin.describeCluster().controller().get(), admin.describeCluster().nodes().get().iterator().next());
    assertTrue(!admin.describeCluster().clusterId().get().isEmpty());

    admin.createPartitions(Map.of("admin-a", NewPartitions.increaseTo(5))).all().get();
    assertEquals(5, node.broker().topic("admin-a").orElseThrow().partitions());

    assertCause(TopicExistsException.class,
        () -> admin.createTopics(List.of(new NewTopic("admin-a", 1, (short) 1))).all().get());
    assertCause(InvalidTopicException.class,
        () -> admin.createTopics(List.of(new NewTopic("bad/name", 1, (short) 1))).all().get());
    assertCause(InvalidConfigurationException.class, () -> admin.createTopics(List.of(
        new NewTopic("admin-c", 1, (short) 1).configs(Map.of("retention.ms", "soon")))).all().get());
    assertCause(InvalidPartitionsException.class,
        () -> admin.createPartitions(Map.of("admin-a", NewPartitions.increaseTo(2))).all().get());
    assertCause(UnknownTopicOrPartitionException.class,
        () -> admin.deleteTopics(List.of("no-such-topic")).all().get());

    admin.deleteTopics(List.of("admin-a", "admin-b")).all().get();
    await().atMost(Duration.ofSeconds(10)).until(
        () -> !admin.listTopics().names().get().contains("admin-a") && node.broker().topic("admin-b").isEmpty());
  }

  private static void assertCause(Class<? extends Throwable> expected, org.junit.jupiter.api.function.Executable call) {
    ExecutionException thrown = assertThrows(ExecutionException.class, call);
    assertInstanceOf(expected, thrown.getCause(), "expected " + expected.getSimpleName() + ": " + thrown);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "lz4", "snappy", "zstd"})
  void when_defaultProducerSendsCompressedKeyedRecords_then_assignedConsumerReadsThemInPartitionOrder(String codec)
      throws Exception {
    String topic = "records-" + codec;
    int count = 25_000;
    admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
    long start = System.currentTimeMillis();
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
        ProducerConfig.LINGER_MS_CONFIG, 5))) {
      for (int i = 0; i < count; i++) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, null, start + i, "key-" + (i % 100),
            "value-" + i, List.of(new RecordHeader("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8))));
        sent.add(producer.send(record));
      }
      producer.flush();
    }
    Map<Integer, Long> nextOffset = new HashMap<>();
    for (Future<RecordMetadata> future : sent) {
      RecordMetadata metadata = future.get();
      long expected = nextOffset.getOrDefault(metadata.partition(), 0L);
      assertEquals(expected, metadata.offset(), "offsets are dense per partition");
      nextOffset.put(metadata.partition(), expected + 1);
    }

    List<TopicPartition> partitions = List.of(
        new TopicPartition(topic, 0), new TopicPartition(topic, 1), new TopicPartition(topic, 2));
    Map<Integer, Integer> lastSeq = new HashMap<>();
    int read = 0;
    try (KafkaConsumer<String, String> consumer = consumer()) {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.currentTimeMillis() + 120_000;
      while (read < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          int seq = Integer.parseInt(new String(record.headers().lastHeader("seq").value(), StandardCharsets.UTF_8));
          assertEquals("value-" + seq, record.value());
          assertEquals("key-" + (seq % 100), record.key());
          assertEquals(start + seq, record.timestamp());
          Integer previous = lastSeq.put(record.partition(), seq);
          assertTrue(previous == null || previous < seq, "records of a partition come in the order sent");
          read++;
        }
      }
      assertEquals(count, read);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      for (TopicPartition partition : partitions) {
        assertEquals(nextOffset.getOrDefault(partition.partition(), 0L), ends.get(partition));
      }
    }
    assertEquals(count, nextOffset.values().stream().mapToLong(Long::longValue).sum());
  }

  @Test
  void when_consumerSeeks_then_itReadsFromOffsetTimestampBeginningAndEnd() throws Exception {
    String topic = "seeking";
    admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    TopicPartition partition = new TopicPartition(topic, 0);
    long base = 1_700_000_000_000L;
    try (KafkaProducer<String, String> producer = producer(Map.of())) {
      for (int i = 0; i < 100; i++) {
        producer.send(new ProducerRecord<>(topic, 0, base + i * 1000L, "k" + i, "v" + i)).get();
      }
    }
    try (KafkaConsumer<String, String> consumer = consumer()) {
      consumer.assign(List.of(partition));
      assertEquals(0L, consumer.beginningOffsets(List.of(partition)).get(partition));
      assertEquals(100L, consumer.endOffsets(List.of(partition)).get(partition));

      consumer.seek(partition, 42);
      assertEquals("v42", firstRecord(consumer).value());

      OffsetAndTimestamp at = consumer.offsetsForTimes(Map.of(partition, base + 60_500L)).get(partition);
      assertEquals(61L, at.offset(), "the first record at or after the timestamp");
      assertEquals(base + 61_000L, at.timestamp());
      consumer.seek(partition, at.offset());
      assertEquals("v61", firstRecord(consumer).value());
      assertEquals(null, consumer.offsetsForTimes(Map.of(partition, base + 1_000_000L)).get(partition),
          "no record that late");

      consumer.seekToBeginning(List.of(partition));
      assertEquals("v0", firstRecord(consumer).value());

      consumer.seekToEnd(List.of(partition));
      assertEquals(100L, consumer.position(partition));
      assertTrue(consumer.poll(Duration.ofMillis(300)).isEmpty());
    }
  }

  private static ConsumerRecord<String, String> firstRecord(KafkaConsumer<String, String> consumer) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      var records = consumer.poll(Duration.ofMillis(200));
      if (!records.isEmpty()) {
        return records.iterator().next();
      }
    }
    throw new AssertionError("no record within 30 s");
  }
}
