package dev.runnel.broker.group;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Kafka's TxnOffsetCommit: offsets a transactional producer commits for a group, which take effect when its
 * transaction commits. Member id, instance id and generation (v3+, KIP-447) are checked when given; older clients
 * send none (-1 and empty), which Kafka accepts whatever the group's state.
 */
public record TxnOffsetCommitRequest(long producerId, short producerEpoch, String memberId, String groupInstanceId,
    int generationId, Map<TopicPartition, OffsetCommitRequest.Offset> offsets) {

  public TxnOffsetCommitRequest {
    memberId = memberId == null ? "" : memberId;
    offsets = Map.copyOf(offsets);
  }
}
