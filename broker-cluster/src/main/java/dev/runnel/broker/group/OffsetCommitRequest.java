package dev.runnel.broker.group;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Kafka's OffsetCommit. A commit with generation -1 and no member id comes from outside the group (an admin
 * tool, a consumer that assigns partitions itself) and is accepted only while the group has no members.
 */
public record OffsetCommitRequest(
    String memberId, String groupInstanceId, int generationId, Map<TopicPartition, Offset> offsets) {

  public OffsetCommitRequest {
    memberId = memberId == null ? "" : memberId;
    offsets = Map.copyOf(offsets);
  }

  /** One partition's offset to commit. */
  public record Offset(long offset, int leaderEpoch, String metadata) {}
}
