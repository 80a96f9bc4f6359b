package dev.runnel.broker.group;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/** The facts a group coordinator persists. Membership between generations is runtime state and never persisted. */
public sealed interface GroupEvent {

  /**
   * A generation completed: the leader's assignment arrived (or the coordinator assigned, for native groups), a
   * static member was replaced without a rebalance, or the last member left (then {@code members} is empty).
   *
   * @param timestamp when it happened, in epoch milliseconds; an empty group's offsets expire from here
   */
  record GenerationStored(
      int generationId,
      String protocolType,
      String protocolName,
      String leaderId,
      List<StoredMember> members,
      long timestamp) implements GroupEvent {

    public GenerationStored {
      members = List.copyOf(members);
    }
  }

  record OffsetsCommitted(Map<TopicPartition, CommittedOffset> offsets) implements GroupEvent {
    public OffsetsCommitted {
      offsets = Map.copyOf(offsets);
    }
  }

  /** Offsets removed by OffsetDelete. */
  record OffsetsDeleted(List<TopicPartition> partitions) implements GroupEvent {
    public OffsetsDeleted {
      partitions = List.copyOf(partitions);
    }
  }

  /** Offsets of an empty group removed after the retention period. */
  record OffsetsExpired(List<TopicPartition> partitions) implements GroupEvent {
    public OffsetsExpired {
      partitions = List.copyOf(partitions);
    }
  }

  /**
   * TxnOffsetCommit: offsets staged for the producer's open transaction ({@link PendingTxnOffsets}), at its epoch
   * ({@link PendingTxnOffsets#NO_EPOCH} in events stored before epochs were).
   */
  record TxnOffsetsStaged(long producerId, short producerEpoch, Map<TopicPartition, CommittedOffset> offsets)
      implements GroupEvent {
    public TxnOffsetsStaged {
      offsets = Map.copyOf(offsets);
    }
  }

  /**
   * The producer's transaction ended at {@code producerEpoch} (its coordinator's marker epoch, or
   * {@link PendingTxnOffsets#NO_EPOCH} in events stored before epochs were): its staged offsets became committed
   * offsets, or were dropped.
   */
  record TxnOffsetsSettled(long producerId, short producerEpoch, boolean commit) implements GroupEvent {}

  /** DeleteGroups: the group's generation and offsets are gone; the id may be used again. */
  record GroupDeleted(long timestamp) implements GroupEvent {}
}
