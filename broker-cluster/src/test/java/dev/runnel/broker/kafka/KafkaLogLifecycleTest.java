package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.runnel.broker.NodeEnvironment;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.ManualClock;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigOp.OpType;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The log's lifecycle through kafka-clients 4.4's admin client, producer and consumer: config changes at runtime,
 * DeleteRecords, and a consumer with {@code auto.offset.reset=earliest} carrying on after retention.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaLogLifecycleTest {

  private static final ManualClock CLOCK = new ManualClock(System.currentTimeMillis());
  private static RunnelNode node;
  private static Admin admin;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir(),
        Map.of("runnel.broker.partition.retention-check-interval", "100 ms"),
        new NodeEnvironment(CLOCK, Optional.empty()));
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

  private static KafkaProducer<String, String> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
        ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer());
  }

  private static KafkaConsumer<String, String> consumer() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
  }

  private static Config describe(String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin.describeConfigs(List.of(resource)).all().get().get(resource);
  }

  private static void alter(String topic, AlterConfigOp... ops) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    admin.incrementalAlterConfigs(Map.of(resource, List.of(ops))).all().get();
  }

  private static long earliest(TopicPartition partition) throws Exception {
    return admin.listOffsets(Map.of(partition, OffsetSpec.earliest())).partitionResult(partition).get().offset();
  }

  @Test
  void when_configsAlteredIncrementally_then_describeConfigsShowsThemAndDeleteRestoresTheDefault() throws Exception {
    admin.createTopics(List.of(new NewTopic("tunable", 1, (short) 1))).all().get();

    alter("tunable",
        new AlterConfigOp(new ConfigEntry("retention.ms", "60000"), OpType.SET),
        new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), OpType.APPEND),
        new AlterConfigOp(new ConfigEntry("min.compaction.lag.ms", "5000"), OpType.SET));

    Config configs = describe("tunable");
    assertEquals("60000", configs.get("retention.ms").value());
    assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, configs.get("retention.ms").source());
    assertEquals("delete,compact", configs.get("cleanup.policy").value());
    assertEquals("5000", configs.get("min.compaction.lag.ms").value());
    assertEquals("86400000", configs.get("delete.retention.ms").value(), "the broker default");

    alter("tunable",
        new AlterConfigOp(new ConfigEntry("retention.ms", null), OpType.DELETE),
        new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), OpType.SUBTRACT));
    configs = describe("tunable");
    assertEquals("604800000", configs.get("retention.ms").value());
    assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, configs.get("retention.ms").source());
    assertEquals("compact", configs.get("cleanup.policy").value());
  }

  @Test
  void when_alterationIsInvalidOrValidateOnly_then_nothingChanges() throws Exception {
    admin.createTopics(List.of(new NewTopic("steady", 1, (short) 1))).all().get();
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "steady");

    ExecutionException invalid = assertThrows(ExecutionException.class, () -> alter("steady",
        new AlterConfigOp(new ConfigEntry("retention.ms", "soon"), OpType.SET)));
    assertInstanceOf(InvalidConfigurationException.class, invalid.getCause());
    ExecutionException notAList = assertThrows(ExecutionException.class, () -> alter("steady",
        new AlterConfigOp(new ConfigEntry("retention.ms", "5"), OpType.APPEND)));
    assertInstanceOf(InvalidConfigurationException.class, notAList.getCause());
    admin.incrementalAlterConfigs(
            Map.of(resource, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "5"), OpType.SET))),
            new AlterConfigsOptions().validateOnly(true))
        .all().get();

    assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, describe("steady").get("retention.ms").source());
  }

  @Test
  void when_legacyAlterConfigsIsSent_then_theTopicsConfigsAreReplaced() throws Exception {
    admin.createTopics(List.of(new NewTopic("legacy", 1, (short) 1)
        .configs(Map.of("retention.ms", "1000")))).all().get();
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "legacy");
    AlterConfigsRequest.Config configs = new AlterConfigsRequest.Config(
        List.of(new AlterConfigsRequest.ConfigEntry("retention.bytes", "4096")));
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      AlterConfigsResponse response = connection.call(
          new AlterConfigsRequest.Builder(Map.of(resource, configs), false).build((short) 2));
      assertEquals(Errors.NONE.code(), response.data().responses().get(0).errorCode());
    }
    Config described = describe("legacy");
    assertEquals("4096", described.get("retention.bytes").value());
    assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, described.get("retention.ms").source(),
        "a config left out returns to its default");
  }

  @Test
  void when_recordsDeletedThroughTheAdminClient_then_consumersStartAtTheNewLowWatermark() throws Exception {
    admin.createTopics(List.of(new NewTopic("trimmed", 1, (short) 1))).all().get();
    TopicPartition partition = new TopicPartition("trimmed", 0);
    try (KafkaProducer<String, String> producer = producer()) {
      for (int i = 0; i < 20; i++) {
        producer.send(new ProducerRecord<>("trimmed", 0, "k", "v" + i)).get();
      }
    }

    long lowWatermark = admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(12)))
        .lowWatermarks().get(partition).get().lowWatermark();

    assertEquals(12, lowWatermark);
    assertEquals(12, earliest(partition));
    try (KafkaConsumer<String, String> consumer = consumer()) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      List<ConsumerRecord<String, String>> records = poll(consumer, 8);
      assertEquals(12, records.get(0).offset());
      assertEquals("v12", records.get(0).value());
    }
    ExecutionException beyond = assertThrows(ExecutionException.class, () -> admin.deleteRecords(
        Map.of(partition, RecordsToDelete.beforeOffset(21))).lowWatermarks().get(partition).get());
    assertInstanceOf(OffsetOutOfRangeException.class, beyond.getCause());
  }

  @Test
  void when_topicIsOnlyCompacted_then_deleteRecordsIsRefused() throws Exception {
    admin.createTopics(List.of(new NewTopic("table", 1, (short) 1)
        .configs(Map.of("cleanup.policy", "compact")))).all().get();
    TopicPartition partition = new TopicPartition("table", 0);
    try (KafkaProducer<String, String> producer = producer()) {
      producer.send(new ProducerRecord<>("table", 0, "k", "v")).get();
    }
    ExecutionException refused = assertThrows(ExecutionException.class, () -> admin.deleteRecords(
        Map.of(partition, RecordsToDelete.beforeOffset(1))).lowWatermarks().get(partition).get());
    assertInstanceOf(PolicyViolationException.class, refused.getCause());
  }

  @Test
  void when_retentionRemovesWhatAConsumerWasAt_then_itResetsToTheNewEarliestAndCarriesOn() throws Exception {
    admin.createTopics(List.of(new NewTopic("expiring", 1, (short) 1))).all().get();
    TopicPartition partition = new TopicPartition("expiring", 0);
    long old = CLOCK.millis() - Duration.ofHours(2).toMillis();
    try (KafkaProducer<String, String> producer = producer()) {
      for (int i = 0; i < 30; i++) {
        producer.send(new ProducerRecord<>("expiring", 0, old, "k", "old-" + i)).get();
      }
      for (int i = 0; i < 20; i++) {
        producer.send(new ProducerRecord<>("expiring", 0, CLOCK.millis(), "k", "new-" + i)).get();
      }
    }
    try (KafkaConsumer<String, String> consumer = consumer()) {
      consumer.assign(List.of(partition));
      consumer.seek(partition, 0);
      assertEquals("old-0", poll(consumer, 1).get(0).value());
      consumer.seek(partition, 5);

      // retention.ms of one hour, set at runtime over the Kafka protocol: the old records are out.
      alter("expiring", new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), OpType.SET));
      await().atMost(Duration.ofSeconds(30)).until(() -> earliest(partition) == 30);

      List<ConsumerRecord<String, String>> records = poll(consumer, 20);
      assertEquals(30, records.get(0).offset(), "the consumer at 5 was reset to the new earliest");
      assertEquals("new-0", records.get(0).value());
      assertFalse(records.stream().anyMatch(record -> record.value().startsWith("old")));
    }
  }

  private static List<ConsumerRecord<String, String>> poll(KafkaConsumer<String, String> consumer, int atLeast) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (records.size() < atLeast && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(200)).forEach(records::add);
    }
    assertEquals(true, records.size() >= atLeast, "got " + records.size() + " records, wanted " + atLeast);
    return records;
  }
}
