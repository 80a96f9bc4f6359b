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
 *
 * <p>{@code epochs} holds the latest epoch each producer staged or settled under. The transaction coordinator
 * checks a TxnOffsetCommit's epoch before it reaches the group, but a successor may take over between that check
 * and the staging: its coordinator aborts the zombie's transaction at a bumped epoch and settles the group at that
 * epoch, and the zombie's late offsets, staged under the older epoch, would otherwise wait under the shared
 * producer id for the successor's commit. With {@link #fences} the group refuses them.
 *
 * @param epochs the latest epoch of each producer id seen here; producers of the format before epochs were kept
 *     are absent
 */
public record PendingTxnOffsets(Map<Long, Map<TopicPartition, CommittedOffset>> byProducer, Map<Long, Short> epochs) {

  /** The epoch of events stored before the group kept epochs: it fences nothing. */
  public static final short NO_EPOCH = -1;

  public static final PendingTxnOffsets NONE = new PendingTxnOffsets(Map.of(), Map.of());

  public PendingTxnOffsets {
    Map<Long, Map<TopicPartition, CommittedOffset>> copy = new HashMap<>();
    byProducer.forEach((producer, offsets) -> {
      if (!offsets.isEmpty()) {
        copy.put(producer, Map.copyOf(offsets));
      }
    });
    byProducer = Map.copyOf(copy);
    epochs = Map.copyOf(epochs);
  }

  /**
   * These with {@code offsets} staged for {@code producerId} at {@code producerEpoch}, replacing what it staged
   * for the same partitions.
   */
  public PendingTxnOffsets staged(long producerId, short producerEpoch, Map<TopicPartition, CommittedOffset> offsets) {
    Map<Long, Map<TopicPartition, CommittedOffset>> next = new HashMap<>(byProducer);
    Map<TopicPartition, CommittedOffset> producer = new HashMap<>(next.getOrDefault(producerId, Map.of()));
    producer.putAll(offsets);
    next.put(producerId, producer);
    return new PendingTxnOffsets(next, seen(producerId, producerEpoch));
  }

  /** What {@code producerId} staged, empty if nothing. */
  public Map<TopicPartition, CommittedOffset> of(long producerId) {
    return byProducer.getOrDefault(producerId, Map.of());
  }

  /** These without what {@code producerId} staged, its transaction settled at {@code producerEpoch}. */
  public PendingTxnOffsets settled(long producerId, short producerEpoch) {
    Map<Long, Map<TopicPartition, CommittedOffset>> next = new HashMap<>(byProducer);
    next.remove(producerId);
    return new PendingTxnOffsets(next, seen(producerId, producerEpoch));
  }

  /** Whether {@code producerEpoch} is older than an epoch {@code producerId} already staged or settled under. */
  public boolean fences(long producerId, short producerEpoch) {
    return epochs.getOrDefault(producerId, NO_EPOCH) > producerEpoch;
  }

  /** The partitions that some open transaction has an offset for. */
  public Set<TopicPartition> partitions() {
    Set<TopicPartition> partitions = new HashSet<>();
    byProducer.values().forEach(offsets -> partitions.addAll(offsets.keySet()));
    return partitions;
  }

  private Map<Long, Short> seen(long producerId, short producerEpoch) {
    Map<Long, Short> next = new HashMap<>(epochs);
    next.merge(producerId, producerEpoch, (a, b) -> a >= b ? a : b);
    if (next.get(producerId) == NO_EPOCH) {
      next.remove(producerId);
    }
    return next;
  }
}
