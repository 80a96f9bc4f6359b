package dev.runnel.bench.kafka;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka's EndToEndLatency without a consumer group: sends one record at a time (acks=1) and times until an
 * {@code assign()}-ed consumer has it. Prints {@code e2e avg ms}, {@code e2e p50 ms}, {@code e2e p99 ms}.
 *
 * <p>Usage: {@code AssignedEndToEndLatency BOOTSTRAP TOPIC RECORDS RECORD_SIZE}
 */
public final class AssignedEndToEndLatency {

  private AssignedEndToEndLatency() {}

  public static void main(String[] args) throws Exception {
    byte[] value = new byte[Integer.parseInt(args[3])];
    new Random(1).nextBytes(value);
    int count = Integer.parseInt(args[2]);
    double[] latencies = latencies(args[0], args[1], count, value);
    double[] sorted = latencies.clone();
    Arrays.sort(sorted);
    System.out.printf("e2e avg ms %.3f%n", Arrays.stream(latencies).average().orElse(0));
    System.out.printf("e2e p50 ms %.3f%n", sorted[(int) (count * 0.50)]);
    System.out.printf("e2e p99 ms %.3f%n", sorted[Math.min(count - 1, (int) (count * 0.99))]);
  }

  /** Milliseconds from each send until the consumer has the record, for {@code count} records to partition 0. */
  public static double[] latencies(String bootstrap, String topic, int count, byte[] value) throws Exception {
    TopicPartition partition = new TopicPartition(topic, 0);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.ACKS_CONFIG, "1",
            ProducerConfig.LINGER_MS_CONFIG, 0,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
      consumer.assign(List.of(partition));
      consumer.seekToEnd(List.of(partition));
      consumer.position(partition);
      double[] latencies = new double[count];
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        producer.send(new ProducerRecord<>(topic, 0, null, value)).get();
        int received = 0;
        long deadline = start + Duration.ofSeconds(30).toNanos();
        while (received == 0) {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
          received = records.count();
          if (received == 0 && System.nanoTime() > deadline) {
            throw new IllegalStateException("record " + i + " did not arrive in 30 s");
          }
        }
        latencies[i] = (System.nanoTime() - start) / 1e6;
      }
      return latencies;
    }
  }
}
