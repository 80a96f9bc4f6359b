package dev.runnel.broker.group;

import dev.runnel.broker.CborSerializable;
import java.util.List;
import org.apache.kafka.common.protocol.Errors;

/**
 * Kafka's JoinGroup response.
 *
 * @param skipAssignment JoinGroup v9+: the member is the leader but must not assign, because a static leader
 *     rejoined without a rebalance (KIP-814)
 * @param members the members and their metadata for the chosen protocol; only the leader gets them
 * @param assignment for native groups, the assignment the coordinator chose for this member; otherwise empty
 */
public record JoinResult(
    Errors error,
    int generationId,
    String protocolType,
    String protocolName,
    String leaderId,
    boolean skipAssignment,
    String memberId,
    List<JoinedMember> members,
    byte[] assignment) implements CborSerializable {

  public JoinResult {
    members = List.copyOf(members);
    assignment = assignment == null ? new byte[0] : assignment;
  }

  /** A member as the leader learns of it. */
  public record JoinedMember(String memberId, String groupInstanceId, byte[] metadata) {}

  static JoinResult error(Errors error, String memberId) {
    return new JoinResult(error, -1, null, null, null, false, memberId, List.of(), null);
  }
}
