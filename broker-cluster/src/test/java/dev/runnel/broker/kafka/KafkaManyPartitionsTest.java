package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.persistence.segment.SegmentStore;
import dev.runnel.persistence.segment.SegmentStores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
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
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Over a thousand partitions on one node through kafka-clients: every partition is started by its first write and
 * read back, and the segment journal keeps no more files open than {@code max-open-files} while all of them are
 * in use. Tagged exclusive: it starts 1,200 partitions (four times max-open-files) and would slow the classes
 * beside it.
 */
@Tag("exclusive")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KafkaManyPartitionsTest {

  private static final int TOPICS = 2;
  private static final int PER_TOPIC = 600;
  private static final int MAX_OPEN_FILES = 300;

  @Test
  void when_everyOfThousandsOfPartitionsIsWritten_then_eachReadsBackAndOpenFilesStayWithinTheLimit()
      throws Exception {
    Map<String, Object> settings = Map.of("runnel.segment-journal.max-open-files", MAX_OPEN_FILES);
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir(), settings)) {
      String bootstrap = "127.0.0.1:" + node.kafkaPort();
      List<TopicPartition> all = new ArrayList<>();
      List<NewTopic> topics = new ArrayList<>();
      for (int t = 0; t < TOPICS; t++) {
        topics.add(new NewTopic("wide-" + t, PER_TOPIC, (short) 1));
        for (int p = 0; p < PER_TOPIC; p++) {
          all.add(new TopicPartition("wide-" + t, p));
        }
      }
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
      }

      Properties producerProperties = new Properties();
      producerProperties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      producerProperties.put(ProducerConfig.ACKS_CONFIG, "all");
      producerProperties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000);
      producerProperties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 60_000);
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(producerProperties, new StringSerializer(), new StringSerializer())) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (TopicPartition partition : all) {
          sent.add(producer.send(new ProducerRecord<>(partition.topic(), partition.partition(), null,
              partition.toString())));
        }
        for (Future<RecordMetadata> ack : sent) {
          assertEquals(0, ack.get(180, TimeUnit.SECONDS).offset(), "each partition's first record is offset 0");
        }
      }
      SegmentStore store = SegmentStores.get(Adapter.toClassic(node.system()))
          .store(node.system().settings().config().getConfig("runnel.segment-journal"));
      assertTrue(store.openFiles() <= MAX_OPEN_FILES, "open segment files after writing " + all.size()
          + " partitions: " + store.openFiles() + ", max-open-files " + MAX_OPEN_FILES);

      Properties consumerProperties = new Properties();
      consumerProperties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      consumerProperties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      consumerProperties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
      Map<TopicPartition, String> read = new HashMap<>();
      try (KafkaConsumer<String, String> consumer =
          new KafkaConsumer<>(consumerProperties, new StringDeserializer(), new StringDeserializer())) {
        consumer.assign(all);
        consumer.seekToBeginning(all);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (read.size() < all.size() && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(1))) {
            read.put(new TopicPartition(record.topic(), record.partition()), record.value());
          }
        }
      }
      assertEquals(all.size(), read.size(), "partitions read back");
      for (TopicPartition partition : all) {
        assertEquals(partition.toString(), read.get(partition), "the record of " + partition);
      }
      assertTrue(store.openFiles() <= MAX_OPEN_FILES, "open segment files after reading them all: "
          + store.openFiles());
    }
  }
}
