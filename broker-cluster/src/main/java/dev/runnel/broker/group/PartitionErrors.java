package dev.runnel.broker.group;

import dev.runnel.broker.CborSerializable;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * The answer to a request about several partitions of a group (OffsetCommit, OffsetDelete, an offsets reset): an
 * error for the group as a whole and one per partition.
 */
public record PartitionErrors(Errors error, Map<TopicPartition, Errors> partitions)
    implements CborSerializable {

  public PartitionErrors {
    partitions = Map.copyOf(partitions);
  }
}
