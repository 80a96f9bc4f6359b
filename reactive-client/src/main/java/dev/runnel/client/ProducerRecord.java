package dev.runnel.client;

import java.util.List;
import java.util.Objects;

/**
 * A record to produce. Without a partition, a keyed record goes to Kafka's murmur2 partition of its key and a
 * keyless one to the partition the producer's current batch fills (sticky, as kafka-clients does). Without a
 * timestamp, the producer stamps the time of {@code send}.
 *
 * @param partition the partition, or -1 to let the partitioner choose
 * @param timestamp the create time in ms since the epoch, or -1 for the time of sending
 */
public record ProducerRecord(String topic, int partition, byte[] key, byte[] value, List<Header> headers,
    long timestamp) {

  public ProducerRecord {
    Objects.requireNonNull(topic, "topic");
    headers = List.copyOf(headers);
  }

  public static ProducerRecord of(String topic, byte[] key, byte[] value) {
    return new ProducerRecord(topic, -1, key, value, List.of(), -1);
  }

  public static ProducerRecord of(String topic, byte[] value) {
    return of(topic, null, value);
  }

  public ProducerRecord withPartition(int partition) {
    return new ProducerRecord(topic, partition, key, value, headers, timestamp);
  }

  public ProducerRecord withHeaders(List<Header> headers) {
    return new ProducerRecord(topic, partition, key, value, headers, timestamp);
  }

  public ProducerRecord withTimestamp(long timestamp) {
    return new ProducerRecord(topic, partition, key, value, headers, timestamp);
  }
}
