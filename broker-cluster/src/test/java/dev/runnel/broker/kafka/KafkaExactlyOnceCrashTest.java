package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exactly once through crashes: {@link ExactlyOnceProcessor} (consume-transform-produce with
 * {@code sendOffsetsToTransaction}, read_committed input) in a JVM of its own is SIGKILLed at random points five
 * times, each once its output grew by a random amount since it started, so kills land inside open transactions
 * and between them, and started again; the last instance runs until the group has committed the whole input.
 * Then the output, read read_committed, holds every input record exactly once, in order per key.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class KafkaExactlyOnceCrashTest {

  private static final int KEYS = 6;
  private static final int PER_KEY = 40;
  private static final int KILLS = 5;
  private static final String INPUT = "eo-crash-in";
  private static final String OUTPUT = "eo-crash-out";
  private static final String GROUP = "eo-crash";

  private RunnelNode node;
  private Admin admin;
  private Process processor;

  @BeforeEach
  void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.group.initial-rebalance-delay", "0 s"));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    admin.createTopics(List.of(new NewTopic(INPUT, 2, (short) 1), new NewTopic(OUTPUT, 2, (short) 1))).all().get();
  }

  @AfterEach
  void stop() throws Exception {
    if (processor != null) {
      processor.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    admin.close();
    node.close();
  }

  private String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  @Test
  void when_theProcessorIsKilledAtRandomPointsAndRestarted_then_theOutputHoldsEveryInputRecordOnceInOrderPerKey()
      throws Exception {
    Map<String, List<String>> sent = produceInput();
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Path logs = Files.createTempDirectory(TestNodes.newDataDir(), "processor-");
    for (int kill = 1; kill <= KILLS; kill++) {
      processor = startProcessor(logs.resolve("processor-" + kill + ".log"));
      long from = outputEnd(IsolationLevel.READ_UNCOMMITTED);
      long growth = 5 + random.nextInt(25);
      await("output growth of " + growth + " before kill " + kill + " (seed " + seed + ")")
          .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
          .until(() -> outputEnd(IsolationLevel.READ_UNCOMMITTED) >= from + growth);
      processor.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    processor = startProcessor(logs.resolve("processor-last.log"));
    Map<TopicPartition, Long> inputEnd = ends(INPUT, IsolationLevel.READ_UNCOMMITTED);
    await("the group's commits reach the input's end (seed " + seed + ")").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> committed().equals(inputEnd));

    Map<String, List<String>> expected = new TreeMap<>();
    sent.forEach((key, values) -> expected.put(key, values.stream().map(String::toUpperCase).toList()));
    assertEquals(expected, readOutput(), "each input record once, in order per key (seed " + seed + ")");
  }

  /** {@link #KEYS} keys of {@link #PER_KEY} records each, interleaved; returns the values per key in order. */
  private Map<String, List<String>> produceInput() throws Exception {
    Map<String, List<String>> sent = new TreeMap<>();
    Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < PER_KEY; i++) {
        for (int k = 0; k < KEYS; k++) {
          String key = "k" + k;
          String value = key + "-" + i;
          producer.send(new ProducerRecord<>(INPUT, key, value));
          sent.computeIfAbsent(key, x -> new ArrayList<>()).add(value);
        }
      }
      producer.flush();
    }
    return sent;
  }

  private Process startProcessor(Path log) throws Exception {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), ExactlyOnceProcessor.class.getName(),
        bootstrap(), INPUT, OUTPUT, GROUP, "50");
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private Map<TopicPartition, Long> ends(String topic, IsolationLevel isolation) throws Exception {
    Map<TopicPartition, OffsetSpec> latest = Map.of(
        new TopicPartition(topic, 0), OffsetSpec.latest(), new TopicPartition(topic, 1), OffsetSpec.latest());
    return admin.listOffsets(latest, new ListOffsetsOptions(isolation)).all().get().entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  private long outputEnd(IsolationLevel isolation) throws Exception {
    return ends(OUTPUT, isolation).values().stream().mapToLong(Long::longValue).sum();
  }

  private Map<TopicPartition, Long> committed() throws Exception {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    Map<TopicPartition, OffsetAndMetadata> found =
        admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get();
    found.forEach((partition, offset) -> offsets.put(partition, offset.offset()));
    return offsets;
  }

  /** The whole output, read_committed, as values per key in the order read. */
  private Map<String, List<String>> readOutput() {
    Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, List<String>> read = new TreeMap<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = List.of(new TopicPartition(OUTPUT, 0), new TopicPartition(OUTPUT, 1));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          read.computeIfAbsent(record.key(), x -> new ArrayList<>()).add(record.value());
        }
        return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
      });
    }
    return read;
  }
}
