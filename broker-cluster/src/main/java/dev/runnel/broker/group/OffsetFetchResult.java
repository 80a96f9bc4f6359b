package dev.runnel.broker.group;

import dev.runnel.broker.CborSerializable;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/** Kafka's OffsetFetch response for one group: the committed offsets found (partitions without one are left out). */
public record OffsetFetchResult(Errors error, Map<TopicPartition, CommittedOffset> offsets)
    implements CborSerializable {

  public OffsetFetchResult {
    offsets = Map.copyOf(offsets);
  }
}
