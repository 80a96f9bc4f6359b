package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Transactions end to end through kafka-clients alone: its transactional producer against the coordinator and
 * the partitions, its consumers at both isolation levels. A transaction over 3 partitions of 2 topics is invisible
 * to read_committed until it commits (the LSO stays below the high watermark meanwhile) and an aborted one never
 * appears; read_uncommitted sees all; a zombie's sends never become visible; consume-transform-produce with
 * sendOffsetsToTransaction commits its input offsets with its output.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class KafkaTransactionsTest {

  private static final List<TopicPartition> PARTITIONS = List.of(
      new TopicPartition("tx-orders", 0), new TopicPartition("tx-orders", 1), new TopicPartition("tx-audit", 0));

  private RunnelNode node;
  private Admin admin;

  @BeforeEach
  void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.group.initial-rebalance-delay", "0 s"));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    node.broker().createTopic("tx-orders", 2, Map.of()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    node.broker().createTopic("tx-audit", 1, Map.of()).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    admin.close();
    node.close();
  }

  private String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  private KafkaProducer<String, String> producer(String transactionalId) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    return new KafkaProducer<>(config);
  }

  private KafkaConsumer<String, String> consumer(IsolationLevel isolation, String group) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    if (group != null) {
      config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    }
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    return new KafkaConsumer<>(config);
  }

  /** Every value readable at this isolation level, from the start up to the end it reports (the LSO or HW). */
  private List<String> readAll(IsolationLevel isolation, Collection<TopicPartition> partitions) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = consumer(isolation, null)) {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        assertTrue(System.nanoTime() < deadline, "read up to " + ends + " in time");
        consumer.poll(Duration.ofMillis(200)).forEach(record -> values.add(record.value()));
      }
    }
    values.sort(null);
    return values;
  }

  private Map<TopicPartition, Long> ends(IsolationLevel isolation) throws Exception {
    Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
    PARTITIONS.forEach(p -> specs.put(p, OffsetSpec.latest()));
    Map<TopicPartition, Long> ends = new HashMap<>();
    admin.listOffsets(specs, new ListOffsetsOptions(isolation)).all().get(60, TimeUnit.SECONDS)
        .forEach((partition, info) -> ends.put(partition, info.offset()));
    return ends;
  }

  private static void sendToAll(KafkaProducer<String, String> producer, String prefix) throws Exception {
    for (TopicPartition partition : PARTITIONS) {
      producer.send(new ProducerRecord<>(partition.topic(), partition.partition(), "k",
          prefix + "-" + partition)).get(60, TimeUnit.SECONDS);
    }
  }

  private static List<String> valuesOf(String... prefixes) {
    List<String> values = new ArrayList<>();
    for (String prefix : prefixes) {
      PARTITIONS.forEach(p -> values.add(prefix + "-" + p));
    }
    values.sort(null);
    return values;
  }

  @Test
  void when_transactionsCommitAndAbortOverThreePartitions_then_readCommittedSeesOnlyTheCommitted()
      throws Exception {
    try (KafkaProducer<String, String> producer = producer("three-partitions")) {
      producer.initTransactions();
      producer.beginTransaction();
      sendToAll(producer, "committed");
      producer.commitTransaction();

      producer.beginTransaction();
      sendToAll(producer, "aborted");
      producer.abortTransaction();

      producer.beginTransaction();
      sendToAll(producer, "open");
      // Open: the LSO stays at the open transaction's first offset, below the high watermark.
      Map<TopicPartition, Long> stable = ends(IsolationLevel.READ_COMMITTED);
      Map<TopicPartition, Long> high = ends(IsolationLevel.READ_UNCOMMITTED);
      for (TopicPartition partition : PARTITIONS) {
        assertTrue(stable.get(partition) < high.get(partition),
            partition + ": LSO " + stable.get(partition) + " below HW " + high.get(partition));
      }
      await().atMost(Duration.ofSeconds(30))
          .until(() -> readAll(IsolationLevel.READ_COMMITTED, PARTITIONS).equals(valuesOf("committed")));
      assertEquals(valuesOf("aborted", "committed", "open"), readAll(IsolationLevel.READ_UNCOMMITTED, PARTITIONS));

      producer.commitTransaction();
    }
    await().atMost(Duration.ofSeconds(30))
        .until(() -> readAll(IsolationLevel.READ_COMMITTED, PARTITIONS).equals(valuesOf("committed", "open")));
    assertEquals(ends(IsolationLevel.READ_UNCOMMITTED), ends(IsolationLevel.READ_COMMITTED),
        "with no transaction open the LSO is the high watermark");
  }

  @Test
  void when_aZombieKeepsSending_then_itIsFencedAndNoneOfItsRecordsIsEverVisible() throws Exception {
    try (KafkaProducer<String, String> zombie = producer("zombie");
        KafkaProducer<String, String> successor = producer("zombie")) {
      zombie.initTransactions();
      zombie.beginTransaction();
      sendToAll(zombie, "zombie-before");

      successor.initTransactions();
      // The zombie's transaction was aborted by the successor's InitProducerId; what it sends now is refused.
      assertThrows(Exception.class, () -> {
        sendToAll(zombie, "zombie-after");
        zombie.commitTransaction();
      });
      successor.beginTransaction();
      sendToAll(successor, "successor");
      successor.commitTransaction();
    }
    await().atMost(Duration.ofSeconds(30))
        .until(() -> readAll(IsolationLevel.READ_COMMITTED, PARTITIONS).equals(valuesOf("successor")));
    List<String> everything = readAll(IsolationLevel.READ_UNCOMMITTED, PARTITIONS);
    assertTrue(everything.containsAll(valuesOf("zombie-before")), "read_uncommitted sees the aborted sends");
    assertTrue(everything.stream().noneMatch(v -> v.startsWith("zombie-after")),
        "the fenced producer's later sends were never stored: " + everything);
  }

  @Test
  void when_inputIsConsumedTransformedAndProducedInTransactions_then_outputHoldsEachInputOnceAndOffsetsFollow()
      throws Exception {
    TopicPartition input = new TopicPartition("ctp-input", 0);
    TopicPartition output = new TopicPartition("ctp-output", 0);
    node.broker().createTopic(input.topic(), 1, Map.of()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    node.broker().createTopic(output.topic(), 1, Map.of()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    try (KafkaProducer<String, String> plain = producer("ctp-loader")) {
      plain.initTransactions();
      plain.beginTransaction();
      for (int i = 0; i < 30; i++) {
        plain.send(new ProducerRecord<>(input.topic(), 0, "k" + i, "v" + i));
      }
      plain.commitTransaction();
    }
    String group = "ctp-group";
    int aborted = 0;
    try (KafkaConsumer<String, String> consumer = consumer(IsolationLevel.READ_COMMITTED, group);
        KafkaProducer<String, String> producer = producer("ctp-processor")) {
      producer.initTransactions();
      consumer.subscribe(List.of(input.topic()));
      int copied = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (copied < 30) {
        assertTrue(System.nanoTime() < deadline, "copied " + copied + " of 30 in time");
        var records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          continue;
        }
        producer.beginTransaction();
        long next = -1;
        for (ConsumerRecord<String, String> record : records) {
          producer.send(new ProducerRecord<>(output.topic(), 0, record.key(), record.value().toUpperCase()));
          next = record.offset() + 1;
        }
        producer.sendOffsetsToTransaction(Map.of(input, new OffsetAndMetadata(next)), consumer.groupMetadata());
        if (aborted == 0) {
          // The first batch is aborted once: its output must vanish and its input be consumed again.
          producer.abortTransaction();
          aborted++;
          consumer.seek(input, records.records(input).get(0).offset());
          continue;
        }
        producer.commitTransaction();
        copied += records.count();
      }
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      expected.add("V" + i);
    }
    expected.sort(null);
    await().atMost(Duration.ofSeconds(30))
        .until(() -> readAll(IsolationLevel.READ_COMMITTED, List.of(output)).equals(expected));
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
          .get(60, TimeUnit.SECONDS).get(input);
      return committed != null && committed.offset() >= 30;
    });
  }

  @Test
  void when_aProducerIsFencedMidTransaction_then_itsCommitFails() {
    try (KafkaProducer<String, String> first = producer("mid");
        KafkaProducer<String, String> second = producer("mid")) {
      first.initTransactions();
      first.beginTransaction();
      first.send(new ProducerRecord<>("tx-audit", 0, "k", "first"));
      first.flush();
      second.initTransactions();
      assertThrows(KafkaException.class, first::commitTransaction);
    }
  }
}
