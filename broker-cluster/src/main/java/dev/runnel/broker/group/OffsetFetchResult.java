package dev.runnel.broker.group;

import dev.runnel.broker.CborSerializable;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * Kafka's OffsetFetch response for one group: the committed offsets found (partitions without one are left out),
 * and the partitions asked for that an open transaction has an offset for (which a require_stable fetch is
 * answered UNSTABLE_OFFSET_COMMIT for).
 */
public record OffsetFetchResult(Errors error, Map<TopicPartition, CommittedOffset> offsets,
    Set<TopicPartition> unstable) implements CborSerializable {

  public OffsetFetchResult {
    offsets = Map.copyOf(offsets);
    unstable = Set.copyOf(unstable);
  }

  public OffsetFetchResult(Errors error, Map<TopicPartition, CommittedOffset> offsets) {
    this(error, offsets, Set.of());
  }
}
