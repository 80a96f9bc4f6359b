package dev.runnel.broker.transaction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.group.PartitionErrors;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Kafka's transaction state machine, step by step, with chosen times and producer ids. */
@Timeout(10)
class TransactionMachineTest {

  private static final TopicPartition A0 = new TopicPartition("a", 0);
  private static final TopicPartition A1 = new TopicPartition("a", 1);
  private static final TopicPartition B0 = new TopicPartition("b", 0);
  private static final int TIMEOUT = 60_000;

  private final TransactionMachine machine = new TransactionMachine(900_000);

  /** Applies a decision as the entity would: the transition, if any, becomes the state. */
  private static TransactionMetadata apply(TransactionMetadata state, Decision<?> decision) {
    return decision.next() == null ? state : decision.next();
  }

  private TransactionMetadata initialized(long producerId) {
    TransactionMetadata unused = TransactionMetadata.unused("t");
    Decision<InitProducerIdResult> needs = machine.initProducerId(unused, TIMEOUT, -1, (short) -1, -1, 0);
    assertTrue(needs.needsProducerId(), "a new transactional id needs a producer id");
    Decision<InitProducerIdResult> init = machine.initProducerId(unused, TIMEOUT, -1, (short) -1, producerId, 0);
    assertEquals(new InitProducerIdResult(Errors.NONE, producerId, (short) 0), init.reply());
    return apply(unused, init);
  }

  private TransactionMetadata ongoing(TransactionMetadata m, long now, TopicPartition... partitions) {
    Decision<PartitionErrors> added =
        machine.addPartitions(m, m.producerId(), m.producerEpoch(), List.of(partitions), now);
    assertEquals(Errors.NONE, added.reply().error());
    return apply(m, added);
  }

  @Test
  void when_aTransactionCommits_then_itGoesOngoingPrepareCommitCompleteCommit() {
    TransactionMetadata m = initialized(7);
    assertEquals(TransactionState.EMPTY, m.state());
    m = ongoing(m, 1_000, A0, B0);
    assertEquals(TransactionState.ONGOING, m.state());
    assertEquals(1_000, m.startTimestamp(), "the transaction starts with its first partition");
    m = ongoing(m, 2_000, A1);
    assertEquals(Set.of(A0, A1, B0), m.partitions());
    assertEquals(1_000, m.startTimestamp(), "adding partitions later does not move the start");

    Decision<Errors> end = machine.endTxn(m, 7, (short) 0, true, 3_000);
    assertEquals(Errors.NONE, end.reply());
    m = apply(m, end);
    assertEquals(TransactionState.PREPARE_COMMIT, m.state());
    assertEquals(Set.of(A0, A1, B0), m.partitions(), "the decision keeps the partitions its markers go to");
    int decision = m.coordinatorEpoch();

    assertNull(machine.markersWritten(m, decision - 1, 4_000).next(), "another decision's news changes nothing");
    m = apply(m, machine.markersWritten(m, decision, 4_000));
    assertEquals(TransactionState.COMPLETE_COMMIT, m.state());
    assertTrue(m.partitions().isEmpty());
    assertEquals(Errors.NONE, machine.endTxn(m, 7, (short) 0, true, 5_000).reply(), "a retried commit succeeds");
    assertEquals(Errors.INVALID_TXN_STATE, machine.endTxn(m, 7, (short) 0, false, 5_000).reply());
  }

  @Test
  void when_markersAreBeingWritten_then_theProducerIsToldConcurrentTransactions() {
    TransactionMetadata m = ongoing(initialized(7), 1_000, A0);
    m = apply(m, machine.endTxn(m, 7, (short) 0, false, 2_000));
    assertEquals(TransactionState.PREPARE_ABORT, m.state());
    assertEquals(Errors.CONCURRENT_TRANSACTIONS,
        machine.addPartitions(m, 7, (short) 0, List.of(A1), 3_000).reply().error());
    assertEquals(Errors.CONCURRENT_TRANSACTIONS, machine.endTxn(m, 7, (short) 0, false, 3_000).reply());
    assertEquals(Errors.INVALID_TXN_STATE, machine.endTxn(m, 7, (short) 0, true, 3_000).reply());
    assertEquals(Errors.CONCURRENT_TRANSACTIONS,
        machine.initProducerId(m, TIMEOUT, -1, (short) -1, -1, 3_000).reply().error());
    assertEquals(Errors.CONCURRENT_TRANSACTIONS, machine.addGroup(m, 7, (short) 0, "g", 3_000).reply());
  }

  @Test
  void when_aSecondProducerInitializesTheSameId_then_theFirstIsFencedAndItsTransactionAborted() {
    TransactionMetadata m = ongoing(initialized(7), 1_000, A0, B0);
    Decision<InitProducerIdResult> second = machine.initProducerId(m, TIMEOUT, -1, (short) -1, -1, 2_000);
    assertEquals(Errors.CONCURRENT_TRANSACTIONS, second.reply().error(), "the new producer retries");
    m = apply(m, second);
    assertEquals(TransactionState.PREPARE_ABORT, m.state(), "the open transaction is aborted");
    assertEquals(1, m.producerEpoch(), "at a bumped epoch");
    assertEquals(Set.of(A0, B0), m.partitions());

    assertEquals(Errors.PRODUCER_FENCED, machine.endTxn(m, 7, (short) 0, true, 2_500).reply(),
        "the old producer's commit");
    m = apply(m, machine.markersWritten(m, m.coordinatorEpoch(), 3_000));
    assertEquals(TransactionState.COMPLETE_ABORT, m.state());

    Decision<InitProducerIdResult> retry = machine.initProducerId(m, TIMEOUT, -1, (short) -1, -1, 3_500);
    assertEquals(new InitProducerIdResult(Errors.NONE, 7, (short) 2), retry.reply());
    m = apply(m, retry);
    assertEquals(TransactionState.EMPTY, m.state());
    assertEquals(Errors.PRODUCER_FENCED, machine.addPartitions(m, 7, (short) 0, List.of(A0), 4_000).reply().error());
    assertEquals(Errors.PRODUCER_FENCED, machine.addGroup(m, 7, (short) 1, "g", 4_000).reply());
    assertEquals(Errors.PRODUCER_FENCED, machine.endTxn(m, 7, (short) 1, true, 4_000).reply());
    assertEquals(Errors.INVALID_PRODUCER_ID_MAPPING,
        machine.addPartitions(m, 8, (short) 2, List.of(A0), 4_000).reply().error());
    assertEquals(Errors.NONE, machine.addPartitions(m, 7, (short) 2, List.of(A0), 4_000).reply().error());
  }

  @Test
  void when_theClientNamesItsProducer_then_itGetsTheNextEpochAndARetryGetsTheSameAnswer() {
    TransactionMetadata m = initialized(7);
    Decision<InitProducerIdResult> bump = machine.initProducerId(m, TIMEOUT, 7, (short) 0, -1, 1_000);
    assertEquals(new InitProducerIdResult(Errors.NONE, 7, (short) 1), bump.reply());
    m = apply(m, bump);
    Decision<InitProducerIdResult> retry = machine.initProducerId(m, TIMEOUT, 7, (short) 0, -1, 1_100);
    assertNull(retry.next(), "KIP-360: a retried bump changes nothing");
    assertEquals(new InitProducerIdResult(Errors.NONE, 7, (short) 1), retry.reply());
    assertEquals(Errors.PRODUCER_FENCED,
        machine.initProducerId(m, TIMEOUT, 7, (short) 5, -1, 1_200).reply().error(), "an epoch never handed out");
    assertEquals(Errors.PRODUCER_FENCED,
        machine.initProducerId(m, TIMEOUT, 99, (short) 1, -1, 1_200).reply().error(), "another producer id");
  }

  @Test
  void when_theEpochIsExhausted_then_theNextInitProducerIdGetsANewProducerId() {
    TransactionMetadata m = initialized(7);
    m = new TransactionMetadata("t", 7, TransactionMachine.MAX_EPOCH, 7, (short) (TransactionMachine.MAX_EPOCH - 1),
        TIMEOUT, TransactionState.COMPLETE_COMMIT, Set.of(), Set.of(), -1, 0, 3);
    assertTrue(machine.initProducerId(m, TIMEOUT, -1, (short) -1, -1, 1_000).needsProducerId());
    Decision<InitProducerIdResult> fresh = machine.initProducerId(m, TIMEOUT, -1, (short) -1, 8, 1_000);
    assertEquals(new InitProducerIdResult(Errors.NONE, 8, (short) 0), fresh.reply());
    m = apply(m, fresh);
    assertEquals(7, m.lastProducerId());
    assertEquals(new InitProducerIdResult(Errors.NONE, 8, (short) 0),
        machine.initProducerId(m, TIMEOUT, 7, TransactionMachine.MAX_EPOCH, -1, 1_100).reply(),
        "the retry of the client that held the exhausted epoch gets the new id");
  }

  @Test
  void when_aTransactionOutlivesItsTimeout_then_itIsAbortedAndItsProducerFenced() {
    TransactionMetadata m = ongoing(initialized(7), 1_000, A0);
    assertNull(machine.tick(m, 1_000 + TIMEOUT - 1).next(), "not yet");
    Decision<Void> timedOut = machine.tick(m, 1_000 + TIMEOUT);
    m = apply(m, timedOut);
    assertEquals(TransactionState.PREPARE_ABORT, m.state());
    assertEquals(1, m.producerEpoch());
    assertEquals(Errors.PRODUCER_FENCED, machine.endTxn(m, 7, (short) 0, true, 70_000).reply());
  }

  @ParameterizedTest
  @EnumSource(value = TransactionState.class, names = {"EMPTY", "COMPLETE_COMMIT", "COMPLETE_ABORT"})
  void when_noTransactionIsOpen_then_theTimeoutCheckDoesNothing(TransactionState state) {
    TransactionMetadata m = new TransactionMetadata("t", 7, (short) 0, -1, (short) -1, TIMEOUT, state, Set.of(),
        Set.of(), 0, 0, 1);
    assertNull(machine.tick(m, Long.MAX_VALUE / 2).next());
  }

  @Test
  void when_theTimeoutIsOutOfBounds_then_invalidTransactionTimeout() {
    TransactionMetadata unused = TransactionMetadata.unused("t");
    assertEquals(Errors.INVALID_TRANSACTION_TIMEOUT,
        machine.initProducerId(unused, 900_001, -1, (short) -1, 5, 0).reply().error());
    assertEquals(Errors.INVALID_TRANSACTION_TIMEOUT,
        machine.initProducerId(unused, 0, -1, (short) -1, 5, 0).reply().error());
  }

  @Test
  void when_groupsAreAdded_then_theyAreDecidedWithTheTransaction() {
    TransactionMetadata m = initialized(7);
    m = apply(m, machine.addGroup(m, 7, (short) 0, "g1", 1_000));
    assertEquals(TransactionState.ONGOING, m.state(), "offsets alone open a transaction");
    assertNull(machine.addGroup(m, 7, (short) 0, "g1", 1_100).next(), "a group added twice is stored once");
    m = apply(m, machine.endTxn(m, 7, (short) 0, true, 2_000));
    assertEquals(Set.of("g1"), m.groups());
    m = apply(m, machine.markersWritten(m, m.coordinatorEpoch(), 3_000));
    assertTrue(m.groups().isEmpty());
  }

  @Test
  void when_partitionsAreVerified_then_onlyThoseOfTheOpenTransactionPass() {
    TransactionMetadata m = ongoing(initialized(7), 1_000, A0);
    PartitionErrors verified = machine.verifyPartitions(m, 7, (short) 0, List.of(A0, B0));
    assertEquals(Errors.NONE, verified.partitions().get(A0));
    assertEquals(Errors.INVALID_TXN_STATE, verified.partitions().get(B0));
    assertEquals(Errors.PRODUCER_FENCED, machine.verifyPartitions(m, 7, (short) 1, List.of(A0)).partitions().get(A0));
  }

  @Test
  void when_noTransactionIsOpen_then_endTxnIsInvalid() {
    TransactionMetadata m = initialized(7);
    assertEquals(Errors.INVALID_TXN_STATE, machine.endTxn(m, 7, (short) 0, true, 1_000).reply());
    assertEquals(Errors.INVALID_PRODUCER_EPOCH, machine.endTxn(m, 7, (short) 1, true, 1_000).reply());
    assertEquals(Errors.INVALID_PRODUCER_ID_MAPPING,
        machine.endTxn(TransactionMetadata.unused("t"), 7, (short) 0, true, 1_000).reply());
    assertFalse(machine.endTxn(m, 7, (short) 0, true, 1_000).needsProducerId());
  }
}
