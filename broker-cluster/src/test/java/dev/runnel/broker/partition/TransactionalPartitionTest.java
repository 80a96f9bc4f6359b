package dev.runnel.broker.partition;

import static dev.runnel.broker.partition.LogAppenderTest.idempotent;
import static dev.runnel.broker.partition.LogAppenderTest.plain;
import static dev.runnel.broker.partition.LogAppenderTest.transactional;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.persistence.AbortedTxn;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The partition's side of transactions on a real node: transactional appends, WriteTxnMarker, the last stable
 * offset, the aborted-transactions index, read_committed and read_uncommitted fetches, fencing by producer and by
 * coordinator epoch, and all of it recovered from snapshots plus events after a restart.
 */
@Timeout(120)
class TransactionalPartitionTest {

  private static final short EPOCH = 0;
  private static final Map<String, Object> SMALL_SNAPSHOTS = Map.of("runnel.broker.partition.snapshot-every", 3);

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void when_transactionsOpenAbortAndCommit_then_readCommittedSeesOnlyCommittedDataBelowTheLastStableOffset()
      throws Exception {
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir())) {
      Broker broker = node.broker();
      PartitionId partition = Broker.partition(await(broker.createTopic("txn-log", 1, Map.of("retention.ms", "-1"))), 0);
      assertEquals(0, append(broker, partition, plain("p0")).baseOffset());
      assertEquals(1, append(broker, partition, transactional(7, EPOCH, 0, "a0", "a1")).baseOffset());
      assertEquals(3, append(broker, partition, transactional(8, EPOCH, 0, "b0")).baseOffset());
      assertEquals(4, append(broker, partition, plain("p1")).baseOffset());

      assertEquals(1, latest(broker, partition, IsolationLevel.READ_COMMITTED), "LSO: producer 7's first offset");
      assertEquals(5, latest(broker, partition, IsolationLevel.READ_UNCOMMITTED), "high watermark");
      FetchResult committed = fetch(broker, partition, 0, IsolationLevel.READ_COMMITTED, Duration.ZERO);
      assertEquals(1, committed.lastStableOffset());
      assertEquals(5, committed.highWatermark());
      assertEquals(List.of("p0"), visible(committed));
      assertEquals(List.of("p0", "a0", "a1", "b0", "p1"),
          visible(fetch(broker, partition, 0, IsolationLevel.READ_UNCOMMITTED, Duration.ZERO)));

      // A read_committed long poll at the LSO waits for it to move, not for the next append.
      CompletionStage<FetchResult> waiting = broker.fetch(partition, 1, 1 << 20, Duration.ofSeconds(20),
          IsolationLevel.READ_COMMITTED);
      append(broker, partition, plain("p2"));
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 7, EPOCH, 0, false)).error());
      FetchResult woken = waiting.toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(3, woken.lastStableOffset(), "producer 8's transaction holds it now");
      assertEquals(List.of(new AbortedTxn(7, 1, 6)), woken.abortedTransactions());
      assertEquals(List.of(), visible(woken), "only the aborted records are below the LSO");

      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 8, EPOCH, 0, true)).error());
      FetchResult all = fetch(broker, partition, 0, IsolationLevel.READ_COMMITTED, Duration.ZERO);
      assertEquals(8, all.lastStableOffset());
      assertEquals(8, all.highWatermark());
      assertEquals(List.of("p0", "b0", "p1", "p2"), visible(all));
      assertEquals(List.of(ControlRecordType.ABORT, ControlRecordType.COMMIT), markers(all));

      // Sending a marker again (a coordinator recovering) writes nothing.
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 8, EPOCH, 0, true)).error());
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 99, EPOCH, 0, false)).error());
      assertEquals(8, await(broker.status(partition)).logEndOffset());
    }
  }

  @Test
  void when_aMarkerBumpsTheEpoch_then_theOldEpochIsFencedAndProducerRulesHold() throws Exception {
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir())) {
      Broker broker = node.broker();
      PartitionId partition = Broker.partition(await(broker.createTopic("txn-fence", 1, Map.of("retention.ms", "-1"))), 0);
      append(broker, partition, transactional(5, (short) 2, 0, "zombie"));
      assertEquals(Errors.INVALID_TXN_STATE,
          await(broker.append(partition, idempotent(5, (short) 2, 1, "plain"), (short) -1)).error(),
          "no idempotent batch inside a transaction");
      assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
          await(broker.append(partition, transactional(5, (short) 2, 3, "gap"), (short) -1)).error());
      assertEquals(0, append(broker, partition, transactional(5, (short) 2, 0, "zombie")).baseOffset(),
          "a retried batch gets its first offset");

      // The coordinator fences epoch 2: its abort marker carries epoch 3.
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 5, (short) 3, 1, false)).error());
      assertEquals(Errors.INVALID_PRODUCER_EPOCH,
          await(broker.append(partition, transactional(5, (short) 2, 1, "late"), (short) -1)).error());
      assertEquals(Errors.INVALID_PRODUCER_EPOCH,
          await(broker.writeTxnMarker(partition, 5, (short) 2, 1, true)).error());
      assertEquals(2, append(broker, partition, transactional(5, (short) 3, 0, "fresh")).baseOffset());
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 5, (short) 3, 1, true)).error());
      FetchResult read = fetch(broker, partition, 0, IsolationLevel.READ_COMMITTED, Duration.ZERO);
      assertEquals(List.of("fresh"), visible(read));
      assertEquals(4, read.lastStableOffset());

      // A producer this partition never saw, with a new epoch: the marker makes the epoch durable here.
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 6, (short) 4, 1, false)).error());
      assertEquals(4, await(broker.status(partition)).logEndOffset(), "nothing to end, nothing written");
    }
  }

  @Test
  void when_theNodeRestarts_then_ongoingTransactionsAndTheAbortedIndexAreRecovered() throws Exception {
    Path dataDir = TestNodes.newDataDir();
    PartitionId partition;
    try (RunnelNode node = TestNodes.start(dataDir, SMALL_SNAPSHOTS)) {
      Broker broker = node.broker();
      partition = Broker.partition(await(broker.createTopic("txn-recover", 1, Map.of("retention.ms", "-1"))), 0);
      // 13 journal writes: snapshots at 3, 6, 9 and 12 (with producer 2 open and producer 1 aborted), one event after.
      for (int i = 0; i < 4; i++) {
        append(broker, partition, plain("p" + i));
      }
      append(broker, partition, transactional(1, EPOCH, 0, "x0"));
      append(broker, partition, transactional(2, EPOCH, 0, "y0"));
      append(broker, partition, transactional(1, EPOCH, 1, "x1"));
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 1, EPOCH, 0, false)).error());
      for (int i = 4; i < 9; i++) {
        append(broker, partition, plain("p" + i));
      }
      assertEquals(5, latest(broker, partition, IsolationLevel.READ_COMMITTED));
    }
    try (RunnelNode node = TestNodes.start(dataDir, SMALL_SNAPSHOTS)) {
      Broker broker = node.broker();
      // The topic's retention.ms -1 must be known before the partition wakes: its records carry 1970 timestamps.
      await(broker.lookupTopic("txn-recover")).orElseThrow();
      assertEquals(5, latest(broker, partition, IsolationLevel.READ_COMMITTED), "producer 2 is still open");
      assertEquals(13, latest(broker, partition, IsolationLevel.READ_UNCOMMITTED));
      assertEquals(1, append(broker, partition, transactional(1, EPOCH, 1, "x1")).baseOffset() - 5,
          "producer 1's sequences survived the restart");
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 2, EPOCH, 0, true)).error());
      FetchResult read = fetch(broker, partition, 0, IsolationLevel.READ_COMMITTED, Duration.ZERO);
      assertEquals(List.of(new AbortedTxn(1, 4, 7)), read.abortedTransactions());
      assertEquals(List.of("p0", "p1", "p2", "p3", "y0", "p4", "p5", "p6", "p7", "p8"), visible(read));
      assertEquals(14, read.lastStableOffset());
    }
  }

  @Test
  void when_aReplacedCoordinatorsMarkerArrivesLate_then_itIsFencedBeforeAndAfterARestart() throws Exception {
    Path dataDir = TestNodes.newDataDir();
    PartitionId partition;
    try (RunnelNode node = TestNodes.start(dataDir, SMALL_SNAPSHOTS)) {
      Broker broker = node.broker();
      partition = Broker.partition(await(broker.createTopic("txn-zombie", 1, Map.of("retention.ms", "-1"))), 0);
      append(broker, partition, transactional(3, EPOCH, 0, "first"));
      // Decision 6 of the coordinator, which has moved to another node since decision 5.
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 3, EPOCH, 6, true)).error());
      append(broker, partition, transactional(3, EPOCH, 1, "second"));
      assertEquals(Errors.TRANSACTION_COORDINATOR_FENCED,
          await(broker.writeTxnMarker(partition, 3, EPOCH, 5, true)).error(), "the old coordinator's late COMMIT");
      assertEquals(2, latest(broker, partition, IsolationLevel.READ_COMMITTED), "the second transaction stays open");
      assertEquals(3, await(broker.status(partition)).logEndOffset(), "nothing written");
    }
    // Three journal writes: the snapshot holds the coordinator epoch, not only the events.
    try (RunnelNode node = TestNodes.start(dataDir, SMALL_SNAPSHOTS)) {
      Broker broker = node.broker();
      await(broker.lookupTopic("txn-zombie")).orElseThrow();
      assertEquals(Errors.TRANSACTION_COORDINATOR_FENCED,
          await(broker.writeTxnMarker(partition, 3, EPOCH, 5, false)).error(), "still fenced after a restart");
      assertEquals(2, latest(broker, partition, IsolationLevel.READ_COMMITTED));
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 3, EPOCH, 7, true)).error());
      FetchResult read = fetch(broker, partition, 0, IsolationLevel.READ_COMMITTED, Duration.ZERO);
      assertEquals(List.of("first", "second"), visible(read));
      assertEquals(4, read.lastStableOffset());
    }
  }

  private static AppendResult append(Broker broker, PartitionId partition, java.nio.ByteBuffer records)
      throws Exception {
    AppendResult result = await(broker.append(partition, records, (short) -1));
    assertEquals(Errors.NONE, result.error(), result.errorMessage());
    return result;
  }

  private static long latest(Broker broker, PartitionId partition, IsolationLevel isolation) throws Exception {
    OffsetLookup lookup = await(broker.listOffsets(partition, Partition.LATEST_TIMESTAMP, isolation));
    assertEquals(Errors.NONE, lookup.error());
    return lookup.offset();
  }

  private static FetchResult fetch(Broker broker, PartitionId partition, long offset, IsolationLevel isolation,
      Duration wait) throws Exception {
    FetchResult result = await(broker.fetch(partition, offset, 1 << 20, wait, isolation));
    assertEquals(Errors.NONE, result.error());
    return result;
  }

  /** The values a consumer sees, as Kafka's consumer decides from the fetch's aborted transactions. */
  private static List<String> visible(FetchResult result) {
    List<String> values = new ArrayList<>();
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(result.records()).batches()) {
      if (batch.isControlBatch()) {
        assertFalse(result.isVisible(batch));
        continue;
      }
      if (!result.isVisible(batch)) {
        continue;
      }
      for (Record record : batch) {
        values.add(StandardCharsets.UTF_8.decode(record.value()).toString());
      }
    }
    return values;
  }

  private static List<ControlRecordType> markers(FetchResult result) {
    List<ControlRecordType> types = new ArrayList<>();
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(result.records()).batches()) {
      if (batch.isControlBatch()) {
        assertTrue(batch.isTransactional(), "a marker is a transactional control batch");
        types.add(ControlRecordType.parse(batch.iterator().next().key()));
      }
    }
    return types;
  }
}
