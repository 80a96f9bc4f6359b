package dev.runnel.broker.transaction;

import java.util.Collections;
import java.util.Comparator;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;

/**
 * One transactional id as its coordinator persists it: Kafka's {@code TransactionMetadata}, whose every transition
 * is logged whole (as Kafka's transaction log record is), so recovery is the last one. Immutable.
 *
 * @param producerId the producer id the transactional id uses now; -1 before its first InitProducerId
 * @param producerEpoch the current epoch of that producer id; an older one is fenced
 * @param lastProducerId the producer id before the last InitProducerId (the same one unless the epoch ran out);
 *     with {@code lastProducerEpoch} it recognizes a client's retry of that InitProducerId (KIP-360)
 * @param lastProducerEpoch the epoch before the last InitProducerId, -1 if none
 * @param timeoutMs the producer's {@code transaction.timeout.ms}
 * @param partitions the partitions of the open (or deciding) transaction
 * @param groups the consumer groups whose offsets the transaction commits (AddOffsetsToTxn)
 * @param startTimestamp when the open transaction began (its first partition or group), epoch ms; -1 if none
 * @param updateTimestamp when this transition happened, epoch ms
 * @param coordinatorEpoch counts the decisions: the markers of each decision carry its number, so a partition can
 *     tell a later decision's markers from a repeat of an earlier one's
 */
public record TransactionMetadata(
    String transactionalId,
    long producerId,
    short producerEpoch,
    long lastProducerId,
    short lastProducerEpoch,
    int timeoutMs,
    TransactionState state,
    Set<TopicPartition> partitions,
    Set<String> groups,
    long startTimestamp,
    long updateTimestamp,
    int coordinatorEpoch) {

  private static final Comparator<TopicPartition> ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  public TransactionMetadata {
    partitions = sortedPartitions(partitions);
    groups = Collections.unmodifiableSet(new TreeSet<>(groups));
  }

  /** A transactional id no producer has initialized yet. */
  public static TransactionMetadata unused(String transactionalId) {
    return new TransactionMetadata(transactionalId, -1, (short) -1, -1, (short) -1, 0, TransactionState.EMPTY,
        Set.of(), Set.of(), -1, -1, 0);
  }

  /** Whether a producer has initialized this transactional id (it has a producer id). */
  public boolean initialized() {
    return producerId >= 0;
  }

  TransactionMetadata withProducer(long id, short epoch, long lastId, short lastEpoch, int timeout, long now) {
    return new TransactionMetadata(transactionalId, id, epoch, lastId, lastEpoch, timeout, TransactionState.EMPTY,
        Set.of(), Set.of(), -1, now, coordinatorEpoch);
  }

  TransactionMetadata ongoing(Set<TopicPartition> allPartitions, Set<String> allGroups, long now) {
    long start = state == TransactionState.ONGOING ? startTimestamp : now;
    return new TransactionMetadata(transactionalId, producerId, producerEpoch, lastProducerId, lastProducerEpoch,
        timeoutMs, TransactionState.ONGOING, allPartitions, allGroups, start, now, coordinatorEpoch);
  }

  TransactionMetadata prepared(boolean commit, short epoch, long now) {
    return new TransactionMetadata(transactionalId, producerId, epoch, lastProducerId, lastProducerEpoch, timeoutMs,
        commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT, partitions, groups,
        startTimestamp, now, coordinatorEpoch + 1);
  }

  TransactionMetadata completed(long now) {
    TransactionState done =
        state == TransactionState.PREPARE_COMMIT ? TransactionState.COMPLETE_COMMIT : TransactionState.COMPLETE_ABORT;
    return new TransactionMetadata(transactionalId, producerId, producerEpoch, lastProducerId, lastProducerEpoch,
        timeoutMs, done, Set.of(), Set.of(), -1, now, coordinatorEpoch);
  }

  private static Set<TopicPartition> sortedPartitions(Set<TopicPartition> partitions) {
    TreeSet<TopicPartition> sorted = new TreeSet<>(ORDER);
    sorted.addAll(partitions);
    return Collections.unmodifiableSet(sorted);
  }
}
