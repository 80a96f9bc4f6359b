package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicConfigDef;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kafka's whole topic-config vocabulary over the real admin client and the HTTP API: every name of kafka-clients'
 * {@link TopicConfig} (found by reflection, so a name a newer client adds fails here until Runnel knows it) is
 * accepted at a valid value and described back, refused at an invalid one with {@code INVALID_CONFIG} naming it; and
 * the node's {@code BROKER} resource answers Kafka's broker config names, read-only. Honoured configs that only
 * show end to end (timestamps) are checked here with the real producer and consumer; the log-layer ones in
 * {@code LogCleanerTest}, {@code RetentionTest} and {@code CompactionTest}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaTopicConfigsTest {

  /** A valid value for every topic config, none of them the default. */
  private static final Map<String, String> VALID = new TreeMap<>(Map.ofEntries(
      Map.entry("segment.bytes", "2097152"),
      Map.entry("segment.ms", "3600000"),
      Map.entry("segment.jitter.ms", "1000"),
      Map.entry("segment.index.bytes", "4096"),
      Map.entry("flush.messages", "100"),
      Map.entry("flush.ms", "1000"),
      Map.entry("retention.bytes", "1048576"),
      Map.entry("retention.ms", "86400000"),
      Map.entry("remote.storage.enable", "false"),
      Map.entry("local.retention.ms", "3600000"),
      Map.entry("local.retention.bytes", "1024"),
      Map.entry("remote.log.copy.disable", "true"),
      Map.entry("remote.copy.lag.ms", "1000"),
      Map.entry("remote.copy.lag.bytes", "1000"),
      Map.entry("remote.log.delete.on.disable", "true"),
      Map.entry("max.message.bytes", "2048"),
      Map.entry("max.decompressed.message.bytes", "1048576"),
      Map.entry("index.interval.bytes", "8192"),
      Map.entry("file.delete.delay.ms", "1000"),
      Map.entry("delete.retention.ms", "1000"),
      Map.entry("min.compaction.lag.ms", "1000"),
      Map.entry("max.compaction.lag.ms", "3600000"),
      Map.entry("min.cleanable.dirty.ratio", "0.1"),
      Map.entry("cleanup.policy", "compact,delete"),
      Map.entry("unclean.leader.election.enable", "true"),
      Map.entry("min.insync.replicas", "2"),
      Map.entry("compression.type", "zstd"),
      Map.entry("compression.gzip.level", "9"),
      Map.entry("compression.lz4.level", "17"),
      Map.entry("compression.zstd.level", "10"),
      Map.entry("preallocate", "true"),
      Map.entry("message.timestamp.type", "LogAppendTime"),
      Map.entry("message.timestamp.before.max.ms", "86400000"),
      Map.entry("message.timestamp.after.max.ms", "60000"),
      Map.entry("message.downconversion.enable", "false"),
      Map.entry("errors.deadletterqueue.group.enable", "true"),
      Map.entry("leader.replication.throttled.replicas", "0:0,1:0"),
      Map.entry("follower.replication.throttled.replicas", "*")));

  /** A value Kafka's broker refuses for every topic config: of the wrong type or out of its range. */
  private static final Map<String, String> INVALID = new TreeMap<>(Map.ofEntries(
      Map.entry("segment.bytes", "1024"),
      Map.entry("segment.ms", "0"),
      Map.entry("segment.jitter.ms", "-1"),
      Map.entry("segment.index.bytes", "3"),
      Map.entry("flush.messages", "0"),
      Map.entry("flush.ms", "-1"),
      Map.entry("retention.bytes", "lots"),
      Map.entry("retention.ms", "-2"),
      Map.entry("remote.storage.enable", "true"),
      Map.entry("local.retention.ms", "-3"),
      Map.entry("local.retention.bytes", "-3"),
      Map.entry("remote.log.copy.disable", "sometimes"),
      Map.entry("remote.copy.lag.ms", "-2"),
      Map.entry("remote.copy.lag.bytes", "-2"),
      Map.entry("remote.log.delete.on.disable", "perhaps"),
      Map.entry("max.message.bytes", "-1"),
      Map.entry("max.decompressed.message.bytes", "0"),
      Map.entry("index.interval.bytes", "-1"),
      Map.entry("file.delete.delay.ms", "-1"),
      Map.entry("delete.retention.ms", "-1"),
      Map.entry("min.compaction.lag.ms", "-1"),
      Map.entry("max.compaction.lag.ms", "0"),
      Map.entry("min.cleanable.dirty.ratio", "1.5"),
      Map.entry("cleanup.policy", "shred"),
      Map.entry("unclean.leader.election.enable", "maybe"),
      Map.entry("min.insync.replicas", "0"),
      Map.entry("compression.type", "brotli"),
      Map.entry("compression.gzip.level", "10"),
      Map.entry("compression.lz4.level", "18"),
      Map.entry("compression.zstd.level", "23"),
      Map.entry("preallocate", "yes"),
      Map.entry("message.timestamp.type", "WallClockTime"),
      Map.entry("message.timestamp.before.max.ms", "-1"),
      Map.entry("message.timestamp.after.max.ms", "soon"),
      Map.entry("message.downconversion.enable", "never"),
      Map.entry("errors.deadletterqueue.group.enable", "nah"),
      Map.entry("leader.replication.throttled.replicas", "0-0"),
      Map.entry("follower.replication.throttled.replicas", "all")));

  /** What the node's topic-defaults set to other than Kafka's default: a STATIC_BROKER_CONFIG. */
  private static final String BROKER_RETENTION_MS = "172800000";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static RunnelNode node;
  private static Admin admin;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir(),
        Map.of("runnel.broker.topic-defaults.\"retention.ms\"", BROKER_RETENTION_MS));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort()));
  }

  @AfterAll
  static void stop() {
    admin.close();
    node.close();
  }

  /** Every {@code *_CONFIG} name of kafka-clients' TopicConfig, by reflection. */
  private static Set<String> kafkaClientNames() throws IllegalAccessException {
    Set<String> names = new TreeSet<>();
    for (Field field : TopicConfig.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getName().endsWith("_CONFIG")) {
        names.add((String) field.get(null));
      }
    }
    return names;
  }

  static Stream<String> names() {
    return TopicConfigDef.names().stream();
  }

  @Test
  void when_kafkaClientsNamesATopicConfig_then_runnelKnowsItAndThisTestCoversIt() throws Exception {
    Set<String> kafka = kafkaClientNames();
    assertTrue(kafka.size() >= 36, "kafka-clients 4.4 has at least 36 topic configs, found " + kafka);
    assertTrue(TopicConfigDef.names().containsAll(kafka), "names Runnel does not know: "
        + kafka.stream().filter(name -> !TopicConfigDef.names().contains(name)).toList());
    assertEquals(TopicConfigDef.names(), VALID.keySet(), "a valid value for every name");
    assertEquals(TopicConfigDef.names(), INVALID.keySet(), "an invalid value for every name");
    String readme = Files.readString(Path.of("..", "README.md"));
    for (TopicConfigDef.Definition definition : TopicConfigDef.definitions().values()) {
      assertFalse(definition.inRunnel().isBlank(), definition.name() + " says what it does in Runnel");
      assertTrue(readme.contains("| `" + definition.name() + "` | `" + definition.kafkaDefault() + "` | "
              + (definition.effect() == TopicConfigDef.Effect.HONOURED ? "**honoured**: " : "no effect: ")
              + definition.inRunnel() + " |"),
          "the README's Topic configs table has " + definition.name() + " as it is");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void when_aTopicIsCreatedWithAValidValue_then_itIsAcceptedAndDescribedBackOverKafkaAndHttp(String name)
      throws Exception {
    String topic = "valid-" + name;
    String value = VALID.get(name);
    admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(name, value)))).all().get();

    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config described = admin.describeConfigs(List.of(resource)).all().get().get(resource);
    assertEquals(value, described.get(name).value(), "the value as set");
    assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, described.get(name).source());
    assertEquals(TopicConfigDef.names().size(), described.entries().size(), "every topic config is described");

    JsonNode configs = getJson("/topics/" + topic + "/configs");
    JsonNode entry = null;
    for (JsonNode config : configs) {
      if (config.path("name").asText().equals(name)) {
        entry = config;
      }
    }
    assertEquals(value, entry.path("value").asText(), "GET /topics/{t}/configs shows the value");
    assertTrue(entry.path("overridden").asBoolean(), "and that the topic sets it");
    assertEquals(node.broker().topicDefaults().get(name), entry.path("default_value").asText(),
        "and the broker's default beside it");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void when_aTopicIsCreatedWithAnInvalidValue_then_itIsRefusedWithInvalidConfigNamingTheConfig(String name) {
    String topic = "invalid-" + name;
    ExecutionException refused = assertThrows(ExecutionException.class, () -> admin.createTopics(
        List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(name, INVALID.get(name))))).all().get());
    assertInstanceOf(InvalidConfigurationException.class, refused.getCause());
    assertTrue(refused.getCause().getMessage().contains(name), "the error names " + name + ": "
        + refused.getCause().getMessage());
    assertTrue(node.broker().topic(topic).isEmpty(), "nothing was created");
  }

  @Test
  void when_aNameIsNotKafkas_then_itIsRefusedAsUnknown() {
    ExecutionException refused = assertThrows(ExecutionException.class, () -> admin.createTopics(
        List.of(new NewTopic("unknown-config", 1, (short) 1).configs(Map.of("retention.msec", "1")))).all().get());
    assertInstanceOf(InvalidConfigurationException.class, refused.getCause());
    assertEquals("Unknown topic config name: retention.msec", refused.getCause().getMessage());
  }

  @Test
  void when_compactionLagsConflict_then_theTopicIsRefusedAsKafkaDoes() {
    ExecutionException refused = assertThrows(ExecutionException.class, () -> admin.createTopics(List.of(
        new NewTopic("lags", 1, (short) 1).configs(Map.of("min.compaction.lag.ms", "5000",
            "max.compaction.lag.ms", "1000")))).all().get());
    assertInstanceOf(InvalidConfigurationException.class, refused.getCause());
  }

  @Test
  void when_describedWithSynonymsAndDocumentation_then_sourcesTypesAndDocsAreKafkas() throws Exception {
    admin.createTopics(List.of(new NewTopic("documented", 1, (short) 1)
        .configs(Map.of("max.message.bytes", "4096")))).all().get();
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "documented");
    Config described = admin.describeConfigs(List.of(resource),
        new DescribeConfigsOptions().includeSynonyms(true).includeDocumentation(true)).all().get().get(resource);

    ConfigEntry own = described.get("max.message.bytes");
    assertEquals(ConfigEntry.ConfigType.INT, own.type());
    assertEquals(List.of("max.message.bytes:4096:DYNAMIC_TOPIC_CONFIG", "message.max.bytes:1048588:DEFAULT_CONFIG"),
        synonyms(own), "the topic's value, then the broker config it falls back to");
    assertTrue(own.documentation().startsWith(TopicConfig.MAX_MESSAGE_BYTES_DOC), own.documentation());
    assertTrue(own.documentation().contains("In Runnel: "), "and what it does here");

    ConfigEntry brokerSet = described.get("retention.ms");
    assertEquals(BROKER_RETENTION_MS, brokerSet.value());
    assertEquals(ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG, brokerSet.source(),
        "the node's topic-defaults set it to other than Kafka's default");
    assertEquals(List.of("log.retention.ms:" + BROKER_RETENTION_MS + ":STATIC_BROKER_CONFIG",
        "log.retention.ms:604800000:DEFAULT_CONFIG"), synonyms(brokerSet));
    assertEquals(ConfigEntry.ConfigType.LONG, brokerSet.type());

    ConfigEntry kafkaDefault = described.get("unclean.leader.election.enable");
    assertEquals("false", kafkaDefault.value());
    assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, kafkaDefault.source());
    assertEquals(ConfigEntry.ConfigType.BOOLEAN, kafkaDefault.type());
    assertEquals(ConfigEntry.ConfigType.LIST, described.get("cleanup.policy").type());
    assertEquals(ConfigEntry.ConfigType.DOUBLE, described.get("min.cleanable.dirty.ratio").type());
    assertFalse(kafkaDefault.isReadOnly());
    assertFalse(kafkaDefault.isSensitive());
  }

  @Test
  void when_aTopicUsesLogAppendTime_then_consumersSeeTheBrokersTimeNotTheProducers() throws Exception {
    admin.createTopics(List.of(new NewTopic("append-time", 1, (short) 1)
        .configs(Map.of("message.timestamp.type", "LogAppendTime")))).all().get();
    long before = System.currentTimeMillis();
    try (KafkaProducer<String, String> producer = producer()) {
      producer.send(new ProducerRecord<>("append-time", 0, 1_000L, "k", "v")).get();
    }
    long after = System.currentTimeMillis();
    ConsumerRecord<String, String> record = readOne("append-time");
    assertEquals(TimestampType.LOG_APPEND_TIME, record.timestampType());
    assertTrue(record.timestamp() >= before && record.timestamp() <= after,
        "the broker's time at append, not the producer's 1000: " + record.timestamp());
  }

  @Test
  void when_aCreateTimeIsBeyondMessageTimestampAfterMaxMs_then_theAppendIsRefused() throws Exception {
    admin.createTopics(List.of(new NewTopic("bounded-time", 1, (short) 1)
        .configs(Map.of("message.timestamp.after.max.ms", "60000")))).all().get();
    try (KafkaProducer<String, String> producer = producer()) {
      long inAnHour = System.currentTimeMillis() + 3_600_000L;
      ExecutionException refused = assertThrows(ExecutionException.class,
          () -> producer.send(new ProducerRecord<>("bounded-time", 0, inAnHour, "k", "future")).get());
      assertInstanceOf(InvalidTimestampException.class, refused.getCause());
      producer.send(new ProducerRecord<>("bounded-time", 0, System.currentTimeMillis(), "k", "now")).get();
    }
    ConsumerRecord<String, String> record = readOne("bounded-time");
    assertEquals("now", record.value(), "only the record within the bound was stored");
    assertEquals(TimestampType.CREATE_TIME, record.timestampType());
  }

  private static KafkaProducer<String, String> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(),
        ProducerConfig.RETRIES_CONFIG, 0), new StringSerializer(), new StringSerializer());
  }

  /** The first record of partition 0 of {@code topic}. */
  private static ConsumerRecord<String, String> readOne(String topic) {
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort()),
        new StringDeserializer(), new StringDeserializer())) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      List<ConsumerRecord<String, String>> records = new ArrayList<>();
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return !records.isEmpty();
      });
      return records.get(0);
    }
  }

  private static List<String> synonyms(ConfigEntry entry) {
    List<String> synonyms = new ArrayList<>();
    entry.synonyms().forEach(s -> synonyms.add(s.name() + ":" + s.value() + ":" + s.source()));
    return synonyms;
  }

  @Test
  void when_theBrokerResourceIsDescribed_then_kafkasBrokerNamesCarryTheNodesValuesReadOnly() throws Exception {
    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "0");
    Config described = admin.describeConfigs(List.of(broker)).all().get().get(broker);
    assertEquals("1", described.get("num.partitions").value());
    assertEquals("true", described.get("auto.create.topics.enable").value());
    assertEquals("1", described.get("default.replication.factor").value());
    assertEquals("1", described.get("min.insync.replicas").value());
    assertEquals("1048588", described.get("message.max.bytes").value());
    assertEquals(BROKER_RETENTION_MS, described.get("log.retention.ms").value());
    assertEquals("delete", described.get("log.cleanup.policy").value());
    assertEquals("0", described.get("node.id").value());
    assertEquals("PLAINTEXT://127.0.0.1:" + node.kafkaPort(), described.get("advertised.listeners").value());
    for (ConfigEntry entry : described.entries()) {
      assertTrue(entry.isReadOnly(), entry.name() + " is read-only");
      assertEquals(ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG, entry.source(), entry.name());
    }

    ExecutionException altered = assertThrows(ExecutionException.class, () -> admin.incrementalAlterConfigs(Map.of(
        broker, List.of(new AlterConfigOp(new ConfigEntry("num.partitions", "3"), AlterConfigOp.OpType.SET))))
        .all().get());
    assertInstanceOf(InvalidRequestException.class, altered.getCause());
    assertEquals("1", admin.describeConfigs(List.of(broker)).all().get().get(broker).get("num.partitions").value());
  }

  private static JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response = HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }
}
