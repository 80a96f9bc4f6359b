package dev.runnel.broker.transaction;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.NodeProcess;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The broker killed between the commit decision and its markers: a child JVM broker with the test hook
 * {@code runnel.broker.transaction.test-halt-after-decision} halts right after its coordinator stored
 * PrepareCommit, before any marker was sent. A node started again on the same data directory finishes the
 * transaction by itself (no producer comes back): every partition of it ends committed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TransactionCrashRecoveryTest {

  private static final List<TopicPartition> PARTITIONS = List.of(
      new TopicPartition("crash-a", 0), new TopicPartition("crash-a", 1), new TopicPartition("crash-b", 0));

  @Test
  void when_theBrokerDiesBetweenTheDecisionAndTheMarkers_then_theRestartedBrokerCommitsOnEveryPartition()
      throws Exception {
    Path dataDir = TestNodes.newDataDir();
    int kafkaPort = NodeProcess.freePort();
    Path log = Files.createTempFile(dataDir.getParent(), "crash-broker-", ".log");
    String bootstrap = "127.0.0.1:" + kafkaPort;
    try (NodeProcess broker = NodeProcess.start(dataDir, NodeProcess.freePort(), kafkaPort,
        List.of("-Xmx512m", "-Drunnel.broker.transaction.test-halt-after-decision=on"), log)) {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic("crash-a", 2, (short) 1), new NewTopic("crash-b", 1, (short) 1)))
            .all().get(60, TimeUnit.SECONDS);
      }
      Map<String, Object> config = new HashMap<>();
      config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "crash");
      config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
      config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      KafkaProducer<String, String> producer = new KafkaProducer<>(config);
      try {
        producer.initTransactions();
        producer.beginTransaction();
        for (TopicPartition partition : PARTITIONS) {
          producer.send(new ProducerRecord<>(partition.topic(), partition.partition(), "k", "v-" + partition))
              .get(60, TimeUnit.SECONDS);
        }
        // The broker halts as it stores the decision: the answer may or may not reach us first.
        producer.commitTransaction();
      } catch (Exception e) {
        // The answer was lost with the broker; the decision was stored all the same.
      } finally {
        producer.close(Duration.ZERO);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> !broker.alive());
    }
    String output = Files.readString(log);
    assertTrue(output.contains("halting the JVM after the decision"), "the broker halted at the hook:\n" + output);

    try (RunnelNode restarted = TestNodes.start(dataDir)) {
      List<String> expected = new ArrayList<>();
      PARTITIONS.forEach(p -> expected.add("v-" + p));
      expected.sort(null);
      await().atMost(Duration.ofSeconds(90)).until(() -> readCommitted(restarted).equals(expected));
      assertEquals(TransactionState.COMPLETE_COMMIT,
          restarted.transactions().describe("crash").toCompletableFuture().get(30, TimeUnit.SECONDS).state());
    }
  }

  private static List<String> readCommitted(RunnelNode node) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort());
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
      consumer.assign(PARTITIONS);
      consumer.seekToBeginning(PARTITIONS);
      Map<TopicPartition, Long> ends = consumer.endOffsets(PARTITIONS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && PARTITIONS.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        consumer.poll(Duration.ofMillis(200)).forEach(record -> values.add(record.value()));
      }
    }
    values.sort(null);
    return values;
  }
}
