package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The message.timestamp.* topic configs, through kafka-clients' admin, producer and consumer. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaTimestampTypeTest {

  private static RunnelNode node;
  private static Admin admin;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort()));
  }

  @AfterAll
  static void stop() {
    admin.close();
    node.close();
  }

  private static KafkaProducer<String, String> producer() {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.RETRIES_CONFIG, 0,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000));
  }

  private static List<ConsumerRecord<String, String>> readAll(String topic, int count) {
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(),
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      List<ConsumerRecord<String, String>> records = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (records.size() < count && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(records::add);
      }
      return records;
    }
  }

  @Test
  void when_theTopicUsesLogAppendTime_then_consumersSeeTheBrokersTimeNotTheProducers() throws Exception {
    admin.createTopics(List.of(new NewTopic("appended", 1, (short) 1)
        .configs(Map.of("message.timestamp.type", "LogAppendTime")))).all().get(30, TimeUnit.SECONDS);
    long before = System.currentTimeMillis();
    List<RecordMetadata> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = producer()) {
      sent.add(producer.send(new ProducerRecord<>("appended", 0, 1_000L, "k", "from 1970")).get(30, TimeUnit.SECONDS));
      sent.add(producer.send(new ProducerRecord<>("appended", 0, before + 86_400_000L, "k", "from tomorrow"))
          .get(30, TimeUnit.SECONDS));
    }
    long after = System.currentTimeMillis();
    for (RecordMetadata metadata : sent) {
      assertTrue(metadata.timestamp() >= before && metadata.timestamp() <= after,
          "the producer learns the append time from ProduceResponse's log_append_time_ms: " + metadata.timestamp());
    }
    List<ConsumerRecord<String, String>> records = readAll("appended", 2);
    assertEquals(2, records.size());
    for (ConsumerRecord<String, String> record : records) {
      assertEquals(TimestampType.LOG_APPEND_TIME, record.timestampType());
      assertTrue(record.timestamp() >= before && record.timestamp() <= after,
          record.value() + " carries the append time, not " + record.timestamp());
    }
  }

  @Test
  void when_aRecordIsOutsideTheTopicsTimestampBounds_then_theProducerGetsInvalidTimestamp() throws Exception {
    admin.createTopics(List.of(new NewTopic("recent", 1, (short) 1)
        .configs(Map.of("message.timestamp.before.max.ms", "60000")))).all().get(30, TimeUnit.SECONDS);
    try (KafkaProducer<String, String> producer = producer()) {
      ExecutionException old = assertThrows(ExecutionException.class, () -> producer.send(
          new ProducerRecord<>("recent", 0, System.currentTimeMillis() - 3_600_000L, "k", "an hour ago")).get());
      assertInstanceOf(InvalidTimestampException.class, old.getCause());
      ExecutionException future = assertThrows(ExecutionException.class, () -> producer.send(
          new ProducerRecord<>("recent", 0, System.currentTimeMillis() + 7_200_000L, "k", "in two hours")).get());
      assertInstanceOf(InvalidTimestampException.class, future.getCause(), "after.max.ms is Kafka 4's 1 hour");
      producer.send(new ProducerRecord<>("recent", 0, System.currentTimeMillis(), "k", "now")).get();
    }
    assertEquals(List.of("now"), readAll("recent", 1).stream().map(ConsumerRecord::value).toList());
  }

  @Test
  void when_aTimestampConfigIsInvalid_then_theTopicIsRefusedWithInvalidConfig() {
    ExecutionException failed = assertThrows(ExecutionException.class, () -> admin.createTopics(List.of(
        new NewTopic("misdated", 1, (short) 1).configs(Map.of("message.timestamp.type", "WallClock"))))
        .all().get(30, TimeUnit.SECONDS));
    assertInstanceOf(InvalidConfigurationException.class, failed.getCause());
    ExecutionException negative = assertThrows(ExecutionException.class, () -> admin.createTopics(List.of(
        new NewTopic("misdated", 1, (short) 1).configs(Map.of("message.timestamp.after.max.ms", "-1"))))
        .all().get(30, TimeUnit.SECONDS));
    assertInstanceOf(InvalidConfigurationException.class, negative.getCause());
  }
}
