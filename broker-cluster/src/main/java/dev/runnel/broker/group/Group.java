package dev.runnel.broker.group;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * A group as its coordinator holds it at runtime: the persisted part ({@link StoredGroup}) plus the members'
 * liveness and the rebalance in progress. Immutable; {@link GroupMachine} computes each next value.
 *
 * @param members the members in the order they joined
 * @param pendingMembers member ids handed out with MEMBER_ID_REQUIRED (KIP-394) that have not joined yet, with
 *     the time their offer runs out
 * @param stateTimestamp when the group last entered {@link GroupState#EMPTY} or stored a generation
 * @param deadline in {@link GroupState#PREPARING_REBALANCE} the end of the join phase, in
 *     {@link GroupState#COMPLETING_REBALANCE} the end of the wait for SyncGroup
 * @param joinNotBefore the earliest end of the join phase (the initial rebalance delay of an empty group)
 * @param pending the offsets of transactions that have not ended
 */
public record Group(
    String groupId,
    GroupState state,
    int generationId,
    String protocolType,
    String protocolName,
    String leaderId,
    Map<String, Member> members,
    Map<String, Long> pendingMembers,
    long stateTimestamp,
    long deadline,
    long joinNotBefore,
    Map<TopicPartition, CommittedOffset> offsets,
    PendingTxnOffsets pending) {

  public Group {
    members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
    pendingMembers = Map.copyOf(pendingMembers);
    offsets = Map.copyOf(offsets);
  }

  /** A group that never existed. */
  public static Group empty(String groupId) {
    return recovered(groupId, StoredGroup.EMPTY, 0);
  }

  /**
   * The group after a restart: the members of the last stored generation are back, their sessions starting now,
   * so clients that keep heartbeating continue without a rebalance (as Kafka does when a coordinator loads a group).
   */
  public static Group recovered(String groupId, StoredGroup stored, long now) {
    Map<String, Member> members = new LinkedHashMap<>();
    for (StoredMember member : stored.members()) {
      members.put(member.memberId(), Member.recovered(member, stored.protocolName(), now));
    }
    GroupState state = members.isEmpty() ? GroupState.EMPTY : GroupState.STABLE;
    return new Group(groupId, state, stored.generationId(), stored.protocolType(), stored.protocolName(),
        stored.leaderId(), members, Map.of(), stored.stateTimestamp(), 0, 0, stored.offsets(), stored.pending());
  }

  /** Whether Kafka would list the group: it has members or committed offsets. */
  public boolean exists() {
    return state != GroupState.EMPTY || !offsets.isEmpty();
  }

  /** The state as DescribeGroups and ListGroups report it. */
  public GroupState reportedState() {
    return exists() ? state : GroupState.DEAD;
  }

  Draft draft() {
    return new Draft(this);
  }

  /** A mutable working copy used inside one transition of {@link GroupMachine}. Not thread-safe. */
  static final class Draft {
    final String groupId;
    GroupState state;
    int generationId;
    String protocolType;
    String protocolName;
    String leaderId;
    final LinkedHashMap<String, Member> members;
    final Map<String, Long> pendingMembers;
    long stateTimestamp;
    long deadline;
    long joinNotBefore;
    final Map<TopicPartition, CommittedOffset> offsets;
    PendingTxnOffsets pending;

    private Draft(Group group) {
      groupId = group.groupId;
      state = group.state;
      generationId = group.generationId;
      protocolType = group.protocolType;
      protocolName = group.protocolName;
      leaderId = group.leaderId;
      members = new LinkedHashMap<>(group.members);
      pendingMembers = new LinkedHashMap<>(group.pendingMembers);
      stateTimestamp = group.stateTimestamp;
      deadline = group.deadline;
      joinNotBefore = group.joinNotBefore;
      offsets = new LinkedHashMap<>(group.offsets);
      pending = group.pending;
    }

    Group build() {
      return new Group(groupId, state, generationId, protocolType, protocolName, leaderId, members, pendingMembers,
          stateTimestamp, deadline, joinNotBefore, offsets, pending);
    }
  }
}
