package dev.runnel.broker.group;

import dev.runnel.broker.group.GroupEvent.GenerationStored;
import dev.runnel.broker.group.GroupEvent.GroupDeleted;
import dev.runnel.broker.group.GroupEvent.OffsetsCommitted;
import dev.runnel.broker.group.GroupEvent.OffsetsDeleted;
import dev.runnel.broker.group.GroupEvent.OffsetsExpired;
import dev.runnel.broker.group.GroupEvent.TxnOffsetsSettled;
import dev.runnel.broker.group.GroupEvent.TxnOffsetsStaged;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * What a group coordinator recovers from its journal: the last completed generation, the committed offsets and the
 * offsets of open transactions. Immutable; {@link #apply} is the entity's event handler.
 *
 * @param stateTimestamp when the last generation was stored, in epoch milliseconds (0 if never)
 */
public record StoredGroup(
    int generationId,
    String protocolType,
    String protocolName,
    String leaderId,
    List<StoredMember> members,
    long stateTimestamp,
    Map<TopicPartition, CommittedOffset> offsets,
    PendingTxnOffsets pending) {

  public static final StoredGroup EMPTY = new StoredGroup(0, null, null, null, List.of(), 0, Map.of());

  public StoredGroup {
    members = List.copyOf(members);
    offsets = Map.copyOf(offsets);
  }

  /** A group without transactional offsets. */
  public StoredGroup(int generationId, String protocolType, String protocolName, String leaderId,
      List<StoredMember> members, long stateTimestamp, Map<TopicPartition, CommittedOffset> offsets) {
    this(generationId, protocolType, protocolName, leaderId, members, stateTimestamp, offsets,
        PendingTxnOffsets.NONE);
  }

  public StoredGroup apply(GroupEvent event) {
    if (event instanceof GenerationStored stored) {
      return new StoredGroup(stored.generationId(), stored.protocolType(), stored.protocolName(),
          stored.leaderId(), stored.members(), stored.timestamp(), offsets, pending);
    } else if (event instanceof OffsetsCommitted committed) {
      Map<TopicPartition, CommittedOffset> next = new HashMap<>(offsets);
      next.putAll(committed.offsets());
      return withOffsets(next);
    } else if (event instanceof OffsetsDeleted deleted) {
      return withOffsets(without(offsets, deleted.partitions()));
    } else if (event instanceof OffsetsExpired expired) {
      return withOffsets(without(offsets, expired.partitions()));
    } else if (event instanceof TxnOffsetsStaged staged) {
      return new StoredGroup(generationId, protocolType, protocolName, leaderId, members, stateTimestamp, offsets,
          pending.staged(staged.producerId(), staged.producerEpoch(), staged.offsets()));
    } else if (event instanceof TxnOffsetsSettled settled) {
      Map<TopicPartition, CommittedOffset> next = new HashMap<>(offsets);
      if (settled.commit()) {
        next.putAll(pending.of(settled.producerId()));
      }
      return new StoredGroup(generationId, protocolType, protocolName, leaderId, members, stateTimestamp, next,
          pending.settled(settled.producerId(), settled.producerEpoch()));
    } else if (event instanceof GroupDeleted) {
      return EMPTY;
    }
    throw new IllegalStateException("unknown group event " + event);
  }

  static Map<TopicPartition, CommittedOffset> without(
      Map<TopicPartition, CommittedOffset> offsets, List<TopicPartition> partitions) {
    Map<TopicPartition, CommittedOffset> next = new HashMap<>(offsets);
    partitions.forEach(next::remove);
    return next;
  }

  private StoredGroup withOffsets(Map<TopicPartition, CommittedOffset> next) {
    return new StoredGroup(generationId, protocolType, protocolName, leaderId, members, stateTimestamp, next,
        pending);
  }
}
