package dev.runnel.broker.group;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * The offsets of a group that transactions committed (TxnOffsetCommit) and whose transactions have not ended yet,
 * by producer id. They become the group's committed offsets when the transaction commits and are dropped when it
 * aborts; until then OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for their partitions (KIP-447),
 * so a read_committed consumer never starts from an offset that may be rolled back. Immutable.
 */
public record PendingTxnOffsets(Map<Long, Map<TopicPartition, CommittedOffset>> byProducer) {

  public static final PendingTxnOffsets NONE = new PendingTxnOffsets(Map.of());

  public PendingTxnOffsets {
    Map<Long, Map<TopicPartition, CommittedOffset>> copy = new HashMap<>();
    byProducer.forEach((producer, offsets) -> {
      if (!offsets.isEmpty()) {
        copy.put(producer, Map.copyOf(offsets));
      }
    });
    byProducer = Map.copyOf(copy);
  }

  /** These with {@code offsets} staged for {@code producerId}, replacing what it staged for the same partitions. */
  public PendingTxnOffsets staged(long producerId, Map<TopicPartition, CommittedOffset> offsets) {
    Map<Long, Map<TopicPartition, CommittedOffset>> next = new HashMap<>(byProducer);
    Map<TopicPartition, CommittedOffset> producer = new HashMap<>(next.getOrDefault(producerId, Map.of()));
    producer.putAll(offsets);
    next.put(producerId, producer);
    return new PendingTxnOffsets(next);
  }

  /** What {@code producerId} staged, empty if nothing. */
  public Map<TopicPartition, CommittedOffset> of(long producerId) {
    return byProducer.getOrDefault(producerId, Map.of());
  }

  /** These without what {@code producerId} staged. */
  public PendingTxnOffsets without(long producerId) {
    Map<Long, Map<TopicPartition, CommittedOffset>> next = new HashMap<>(byProducer);
    next.remove(producerId);
    return new PendingTxnOffsets(next);
  }

  /** The partitions that some open transaction has an offset for. */
  public Set<TopicPartition> partitions() {
    Set<TopicPartition> partitions = new HashSet<>();
    byProducer.values().forEach(offsets -> partitions.addAll(offsets.keySet()));
    return partitions;
  }
}
