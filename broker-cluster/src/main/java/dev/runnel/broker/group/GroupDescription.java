package dev.runnel.broker.group;

import dev.runnel.broker.CborSerializable;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/** A group as DescribeGroups, ListGroups and the HTTP API show it. */
public record GroupDescription(
    String groupId,
    GroupState state,
    String protocolType,
    String protocolName,
    int generationId,
    String leaderId,
    List<MemberDescription> members,
    Map<TopicPartition, CommittedOffset> offsets) implements CborSerializable {

  public GroupDescription {
    members = List.copyOf(members);
    offsets = Map.copyOf(offsets);
  }

  /**
   * A member with its metadata for the chosen protocol (none before the first generation) and its assignment.
   */
  public record MemberDescription(
      String memberId,
      String groupInstanceId,
      String clientId,
      String clientHost,
      byte[] metadata,
      byte[] assignment) {}
}
