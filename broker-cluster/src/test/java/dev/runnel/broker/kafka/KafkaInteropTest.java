package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One log, several doors: what a Kafka client produces is what {@link Broker#fetch} (and so HTTP and the native
 * protocol) reads, and what is appended through the broker facade is what a Kafka consumer reads.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaInteropTest {

  private static RunnelNode node;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  @Test
  void when_kafkaProducerWritesToAnUnknownTopic_then_itIsCreatedAndBrokerFetchReadsTheRecords() throws Exception {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      for (int i = 0; i < 50; i++) {
        producer.send(new ProducerRecord<>("auto-created", null, "k" + i, "v" + i,
            List.<Header>of(new RecordHeader("h", new byte[] {(byte) i})))).get();
      }
    }
    PartitionId partition = node.broker().partition("auto-created", 0);
    List<Record> records = new ArrayList<>();
    long offset = 0;
    while (records.size() < 50) {
      FetchResult result = node.broker().fetch(partition, offset, 1 << 20, Duration.ofSeconds(1))
          .toCompletableFuture().get();
      for (RecordBatch batch : MemoryRecords.readableRecords(result.records()).batches()) {
        for (Record record : batch) {
          if (record.offset() >= offset) {
            records.add(record);
          }
        }
      }
      offset = records.size();
    }
    for (int i = 0; i < 50; i++) {
      Record record = records.get(i);
      assertEquals(i, record.offset());
      assertEquals("k" + i, StandardCharsets.UTF_8.decode(record.key()).toString());
      assertEquals("v" + i, StandardCharsets.UTF_8.decode(record.value()).toString());
      assertEquals(i, record.headers()[0].value()[0]);
    }
  }

  @Test
  void when_recordsAreAppendedThroughTheBroker_then_aKafkaConsumerReadsThem() throws Exception {
    node.broker().createTopic("facade-written", 1, Map.of()).toCompletableFuture().get();
    PartitionId partition = node.broker().partition("facade-written", 0);
    for (int batch = 0; batch < 5; batch++) {
      SimpleRecord[] records = new SimpleRecord[10];
      for (int i = 0; i < 10; i++) {
        int n = batch * 10 + i;
        records[i] = new SimpleRecord(1_000L + n, ("k" + n).getBytes(StandardCharsets.UTF_8),
            ("v" + n).getBytes(StandardCharsets.UTF_8));
      }
      AppendResult result = node.broker().append(partition,
          MemoryRecords.withRecords(Compression.zstd().build(), records).buffer(), (short) -1)
          .toCompletableFuture().get();
      assertTrue(result.isStored());
      assertEquals(batch * 10L, result.baseOffset());
    }
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
      TopicPartition tp = new TopicPartition("facade-written", 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      List<ConsumerRecord<String, String>> read = new ArrayList<>();
      long deadline = System.currentTimeMillis() + 30_000;
      while (read.size() < 50 && System.currentTimeMillis() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(read::add);
      }
      assertEquals(50, read.size());
      for (int n = 0; n < 50; n++) {
        assertEquals(n, read.get(n).offset());
        assertEquals("k" + n, read.get(n).key());
        assertEquals("v" + n, read.get(n).value());
        assertEquals(1_000L + n, read.get(n).timestamp());
      }
    }
  }

  @Test
  void when_consumerLongPolls_then_itWakesWhenDataArrives() throws Exception {
    node.broker().createTopic("long-poll", 1, Map.of()).toCompletableFuture().get();
    TopicPartition tp = new TopicPartition("long-poll", 0);
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20_000,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
    try {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      assertTrue(consumer.poll(Duration.ofMillis(500)).isEmpty());
      PartitionId partition = node.broker().partition("long-poll", 0);
      node.broker().append(partition, MemoryRecords.withRecords(Compression.NONE,
          new SimpleRecord("late".getBytes(StandardCharsets.UTF_8))).buffer(), (short) 1).toCompletableFuture().get();
      // The fetch in flight waits up to 20 s; the record must arrive long before that.
      var records = consumer.poll(Duration.ofSeconds(10));
      assertEquals(1, records.count());
      assertEquals("late", records.iterator().next().value());
    } finally {
      // The consumer's next long-poll is in flight: do not wait for it.
      consumer.close(CloseOptions.timeout(Duration.ZERO));
    }
  }
}
