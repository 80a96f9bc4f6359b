package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Keyed records written continuously by kafka-clients producers (acks=all, idempotent), each acknowledgement kept,
 * and the check that the topic holds exactly what was acknowledged: every acknowledged record once, at its offset,
 * and each key's records in the order they were sent. Values are {@code tag/producer/key/sequence}.
 */
final class KeyedTraffic implements AutoCloseable {

  /** An acknowledged record. */
  record Acked(String value, String key, int partition, long offset) {}

  private final String topic;
  private final String tag;
  private final List<Thread> threads = new ArrayList<>();
  private final List<KafkaProducer<String, String>> producers = new ArrayList<>();
  private final ConcurrentLinkedQueue<Acked> acked = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Exception> failures = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean(true);

  private KeyedTraffic(String topic, String tag) {
    this.topic = topic;
    this.tag = tag;
  }

  /** Starts {@code producerCount} producers, each sending about {@code perSecond} records a second over 24 keys. */
  static KeyedTraffic start(String bootstrap, String topic, String tag, int producerCount, int perSecond) {
    KeyedTraffic traffic = new KeyedTraffic(topic, tag);
    for (int p = 0; p < producerCount; p++) {
      KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties(bootstrap));
      traffic.producers.add(producer);
      int producerIndex = p;
      Thread thread = new Thread(() -> traffic.run(producer, producerIndex, perSecond), tag + "-producer-" + p);
      thread.setDaemon(true);
      traffic.threads.add(thread);
      thread.start();
    }
    return traffic;
  }

  static Properties producerProperties(String bootstrap) {
    Properties properties = new Properties();
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    properties.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    properties.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, "2000");
    properties.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return properties;
  }

  private void run(KafkaProducer<String, String> producer, int producerIndex, int perSecond) {
    long pause = Math.max(1, 1000 / perSecond);
    for (int sequence = 0; running.get(); sequence++) {
      String key = "key-" + (sequence % 24);
      String value = tag + "/" + producerIndex + "/" + key + "/" + sequence;
      try {
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, failure) -> {
          if (failure != null) {
            failures.add(failure);
          } else {
            acked.add(new Acked(value, key, metadata.partition(), metadata.offset()));
          }
        });
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
  }

  int ackedCount() {
    return acked.size();
  }

  /** Stops sending, waits for every answer, and returns the acknowledged records. */
  List<Acked> stop() throws InterruptedException {
    running.set(false);
    for (Thread thread : threads) {
      thread.join();
    }
    for (KafkaProducer<String, String> producer : producers) {
      producer.flush();
      producer.close(Duration.ofSeconds(30));
    }
    return List.copyOf(acked);
  }

  List<Exception> failures() {
    return List.copyOf(failures);
  }

  /** Everything in the topic now, read with assign() from the start to the end offsets: partition, offset, value. */
  static Map<TopicPartition, Map<Long, String>> readAll(String bootstrap, String topic, int partitions) {
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<TopicPartition, Map<Long, String>> log = new HashMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties)) {
      List<TopicPartition> all = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        all.add(new TopicPartition(topic, p));
        log.put(new TopicPartition(topic, p), new HashMap<>());
      }
      consumer.assign(all);
      consumer.seekToBeginning(all);
      Map<TopicPartition, Long> end = consumer.endOffsets(all, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (all.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
        assertTrue(System.nanoTime() < deadline, "reading the topic to its end offsets " + end + " took over 60 s");
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          String previous = log.get(new TopicPartition(topic, record.partition())).put(record.offset(), record.value());
          assertEquals(null, previous, "offset " + record.offset() + " of partition " + record.partition()
              + " was read twice");
        }
      }
    }
    return log;
  }

  /**
   * The topic holds every acknowledged record at its offset, each value of {@code tag} exactly once, and each
   * producer's records of a key in the order it sent them.
   */
  static void verify(Map<TopicPartition, Map<Long, String>> log, String topic, String tag, List<Acked> acked) {
    Map<String, Integer> occurrences = new HashMap<>();
    for (Map<Long, String> partition : log.values()) {
      for (String value : partition.values()) {
        if (value.startsWith(tag + "/")) {
          occurrences.merge(value, 1, Integer::sum);
        }
      }
    }
    Map<String, long[]> lastByProducerKey = new HashMap<>();
    List<Acked> ordered = new ArrayList<>(acked);
    ordered.sort((a, b) -> Integer.compare(sequence(a.value()), sequence(b.value())));
    for (Acked record : ordered) {
      String stored = log.get(new TopicPartition(topic, record.partition())).get(record.offset());
      assertEquals(record.value(), stored, "acknowledged record at " + record.partition() + "@" + record.offset());
      assertEquals(1, occurrences.getOrDefault(record.value(), 0), "copies of " + record.value());
      String producerKey = record.value().substring(0, record.value().lastIndexOf('/'));
      long[] last = lastByProducerKey.computeIfAbsent(producerKey, k -> new long[] {-1, -1});
      if (last[0] == record.partition()) {
        assertTrue(record.offset() > last[1], "order of " + producerKey + ": " + record.value() + " at "
            + record.offset() + " after offset " + last[1]);
      }
      last[0] = record.partition();
      last[1] = record.offset();
    }
  }

  private static int sequence(String value) {
    return Integer.parseInt(value.substring(value.lastIndexOf('/') + 1));
  }

  @Override
  public void close() throws InterruptedException {
    if (running.get()) {
      stop();
    }
  }
}
