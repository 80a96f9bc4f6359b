package dev.runnel.bench.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Kafka's ConsumerPerformance without a consumer group: reads a partition from its start with {@code assign()} and
 * prints {@code consume records/s N} and {@code consume MB/s N}. Kafka's own tool subscribes through a group, which
 * Runnel does not serve yet; this one runs against both brokers alike.
 *
 * <p>Usage: {@code AssignedConsumerPerformance BOOTSTRAP TOPIC RECORDS}
 */
public final class AssignedConsumerPerformance {

  private AssignedConsumerPerformance() {}

  public static void main(String[] args) {
    String bootstrap = args[0];
    TopicPartition partition = new TopicPartition(args[1], 0);
    long wanted = Long.parseLong(args[2]);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long records = 0;
      long bytes = 0;
      long start = System.nanoTime();
      long deadline = start + Duration.ofMinutes(2).toNanos();
      while (records < wanted && System.nanoTime() < deadline) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> record : batch) {
          records++;
          bytes += record.serializedValueSize() + Math.max(0, record.serializedKeySize());
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (records < wanted) {
        System.err.printf("read %d of %d records in %.1f s%n", records, wanted, seconds);
        System.exit(1);
      }
      System.out.printf("consume records/s %.1f%n", records / seconds);
      System.out.printf("consume MB/s %.2f%n", bytes / seconds / (1024 * 1024));
      // The consumer fetches a partition again only once it has handed out what it holds, so the time a broker
      // takes to answer a fetch bounds this throughput.
      consumer.metrics().forEach((name, metric) -> {
        if (name.group().equals("consumer-fetch-manager-metrics") && name.tags().size() == 1
            && (name.name().equals("fetch-latency-avg") || name.name().equals("fetch-size-avg"))) {
          System.out.printf("consume %s %.1f%n", name.name().replace('-', ' '), (Double) metric.metricValue());
        }
      });
    }
  }
}
