package dev.runnel.broker.transaction;

import dev.runnel.broker.group.PartitionErrors;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * The decisions of a transaction coordinator, as pure functions from (metadata, request, now) to a
 * {@link Decision}: Kafka's transaction state machine (Empty, Ongoing, PrepareCommit/PrepareAbort,
 * CompleteCommit/CompleteAbort), producer epochs and fencing, KIP-360 epoch bumps, and the timeout of open
 * transactions. {@link TransactionCoordinator} is the actor around it, which persists each transition before it
 * replies and writes the markers of a decision; nothing here does I/O or reads a clock.
 *
 * <p>Stateless and thread-safe.
 */
public final class TransactionMachine {

  /** Kafka's bound: an epoch this high is exhausted, and the next InitProducerId gets a new producer id. */
  static final short MAX_EPOCH = Short.MAX_VALUE - 1;

  private final long maxTimeoutMs;

  /** @param maxTimeoutMs Kafka's {@code transaction.max.timeout.ms}: the longest timeout a producer may ask for */
  public TransactionMachine(long maxTimeoutMs) {
    this.maxTimeoutMs = maxTimeoutMs;
  }

  /**
   * InitProducerId with a transactional id.
   *
   * @param expectedProducerId the producer id the client has, -1 for a new producer (KIP-360: a client that names
   *     its id and epoch asks for the next epoch of its own producer, and is fenced if another took over)
   * @param freshProducerId a newly allocated producer id, -1 when none was allocated yet: a decision that needs one
   *     says so, and the step runs again with one
   */
  public Decision<InitProducerIdResult> initProducerId(TransactionMetadata m, int timeoutMs,
      long expectedProducerId, short expectedEpoch, long freshProducerId, long now) {
    if (timeoutMs <= 0 || timeoutMs > maxTimeoutMs) {
      return Decision.reply(InitProducerIdResult.failed(Errors.INVALID_TRANSACTION_TIMEOUT));
    }
    if (!m.initialized()) {
      if (freshProducerId < 0) {
        return Decision.producerIdNeeded();
      }
      return Decision.transit(m.withProducer(freshProducerId, (short) 0, -1, (short) -1, timeoutMs, now),
          new InitProducerIdResult(Errors.NONE, freshProducerId, (short) 0));
    }
    if (m.state().preparing()) {
      // The decision's markers are still being written; the client retries.
      return Decision.reply(InitProducerIdResult.failed(Errors.CONCURRENT_TRANSACTIONS));
    }
    if (expectedProducerId >= 0) {
      boolean current = expectedProducerId == m.producerId() && expectedEpoch == m.producerEpoch();
      boolean retry = m.state() == TransactionState.EMPTY && expectedProducerId == m.lastProducerId()
          && expectedEpoch == m.lastProducerEpoch();
      if (retry) {
        // KIP-360: the bump this client asked for happened, its answer was lost.
        return Decision.reply(new InitProducerIdResult(Errors.NONE, m.producerId(), m.producerEpoch()));
      }
      if (!current) {
        return Decision.reply(InitProducerIdResult.failed(Errors.PRODUCER_FENCED));
      }
    }
    if (m.state() == TransactionState.ONGOING) {
      // A new producer with this transactional id fences the old one: the open transaction is aborted at a bumped
      // epoch, which the old producer can no longer use; the new one retries once the abort is complete.
      return Decision.transit(m.prepared(false, fenced(m.producerEpoch()), now),
          InitProducerIdResult.failed(Errors.CONCURRENT_TRANSACTIONS));
    }
    if (m.producerEpoch() >= MAX_EPOCH) {
      if (freshProducerId < 0) {
        return Decision.producerIdNeeded();
      }
      return Decision.transit(
          m.withProducer(freshProducerId, (short) 0, m.producerId(), m.producerEpoch(), timeoutMs, now),
          new InitProducerIdResult(Errors.NONE, freshProducerId, (short) 0));
    }
    short epoch = (short) (m.producerEpoch() + 1);
    return Decision.transit(m.withProducer(m.producerId(), epoch, m.producerId(), m.producerEpoch(), timeoutMs, now),
        new InitProducerIdResult(Errors.NONE, m.producerId(), epoch));
  }

  /** AddPartitionsToTxn: the partitions join the transaction, which opens if it was not. */
  public Decision<PartitionErrors> addPartitions(
      TransactionMetadata m, long producerId, short producerEpoch, Collection<TopicPartition> partitions, long now) {
    Errors error = checkAdd(m, producerId, producerEpoch);
    if (error != Errors.NONE) {
      return Decision.reply(allFailed(partitions, error));
    }
    PartitionErrors added = allFailed(partitions, Errors.NONE);
    if (m.state() == TransactionState.ONGOING && m.partitions().containsAll(partitions)) {
      return Decision.reply(added);
    }
    Set<TopicPartition> all = new HashSet<>(m.partitions());
    all.addAll(partitions);
    return Decision.transit(m.ongoing(all, m.groups(), now), added);
  }

  /**
   * AddPartitionsToTxn v4+ with verify_only (KIP-890): whether each partition is in the producer's open
   * transaction, INVALID_TXN_STATE for one that is not. Changes nothing.
   */
  public PartitionErrors verifyPartitions(
      TransactionMetadata m, long producerId, short producerEpoch, Collection<TopicPartition> partitions) {
    Errors error = checkAdd(m, producerId, producerEpoch);
    if (error != Errors.NONE) {
      return allFailed(partitions, error);
    }
    Map<TopicPartition, Errors> results = new HashMap<>();
    for (TopicPartition partition : partitions) {
      boolean in = m.state() == TransactionState.ONGOING && m.partitions().contains(partition);
      results.put(partition, in ? Errors.NONE : Errors.INVALID_TXN_STATE);
    }
    return new PartitionErrors(Errors.NONE, results);
  }

  /** AddOffsetsToTxn: the group's offsets will be committed (or dropped) with the transaction. */
  public Decision<Errors> addGroup(TransactionMetadata m, long producerId, short producerEpoch, String groupId,
      long now) {
    Errors error = checkAdd(m, producerId, producerEpoch);
    if (error != Errors.NONE) {
      return Decision.reply(error);
    }
    if (m.state() == TransactionState.ONGOING && m.groups().contains(groupId)) {
      return Decision.reply(Errors.NONE);
    }
    Set<String> all = new HashSet<>(m.groups());
    all.add(groupId);
    return Decision.transit(m.ongoing(m.partitions(), all, now), Errors.NONE);
  }

  private static Errors checkAdd(TransactionMetadata m, long producerId, short producerEpoch) {
    if (!m.initialized() || producerId != m.producerId()) {
      return Errors.INVALID_PRODUCER_ID_MAPPING;
    }
    if (producerEpoch != m.producerEpoch()) {
      return Errors.PRODUCER_FENCED;
    }
    if (m.state().preparing()) {
      return Errors.CONCURRENT_TRANSACTIONS;
    }
    return Errors.NONE;
  }

  /**
   * EndTxn: decides the open transaction's outcome. The reply goes once the decision is stored; its markers follow
   * (a client that asks again meanwhile is told CONCURRENT_TRANSACTIONS). A repeat of a completed EndTxn succeeds.
   */
  public Decision<Errors> endTxn(TransactionMetadata m, long producerId, short producerEpoch, boolean commit,
      long now) {
    if (!m.initialized() || producerId != m.producerId()) {
      return Decision.reply(Errors.INVALID_PRODUCER_ID_MAPPING);
    }
    if (producerEpoch < m.producerEpoch()) {
      return Decision.reply(Errors.PRODUCER_FENCED);
    }
    if (producerEpoch > m.producerEpoch()) {
      return Decision.reply(Errors.INVALID_PRODUCER_EPOCH);
    }
    return switch (m.state()) {
      case ONGOING -> Decision.transit(m.prepared(commit, m.producerEpoch(), now), Errors.NONE);
      case PREPARE_COMMIT -> Decision.reply(commit ? Errors.CONCURRENT_TRANSACTIONS : Errors.INVALID_TXN_STATE);
      case PREPARE_ABORT -> Decision.reply(commit ? Errors.INVALID_TXN_STATE : Errors.CONCURRENT_TRANSACTIONS);
      case COMPLETE_COMMIT -> Decision.reply(commit ? Errors.NONE : Errors.INVALID_TXN_STATE);
      case COMPLETE_ABORT -> Decision.reply(commit ? Errors.INVALID_TXN_STATE : Errors.NONE);
      case EMPTY, DEAD -> Decision.reply(Errors.INVALID_TXN_STATE);
    };
  }

  /**
   * Every marker of decision {@code coordinatorEpoch} is written and its groups' offsets are settled: the
   * transaction is complete. Nothing happens for another decision's news.
   */
  public Decision<Void> markersWritten(TransactionMetadata m, int coordinatorEpoch, long now) {
    if (!m.state().preparing() || m.coordinatorEpoch() != coordinatorEpoch) {
      return Decision.reply(null);
    }
    return Decision.transit(m.completed(now), null);
  }

  /**
   * The timeout check: a transaction open longer than its producer's {@code transaction.timeout.ms} is aborted,
   * at a bumped epoch, so the producer that let it run out is fenced (as Kafka does).
   */
  public Decision<Void> tick(TransactionMetadata m, long now) {
    if (m.state() == TransactionState.ONGOING && now - m.startTimestamp() >= m.timeoutMs()) {
      return Decision.transit(m.prepared(false, fenced(m.producerEpoch()), now), null);
    }
    return Decision.reply(null);
  }

  private static short fenced(short epoch) {
    return epoch < MAX_EPOCH ? (short) (epoch + 1) : epoch;
  }

  static PartitionErrors allFailed(Collection<TopicPartition> partitions, Errors error) {
    Map<TopicPartition, Errors> results = new HashMap<>();
    partitions.forEach(p -> results.put(p, error));
    return new PartitionErrors(error, results);
  }
}
