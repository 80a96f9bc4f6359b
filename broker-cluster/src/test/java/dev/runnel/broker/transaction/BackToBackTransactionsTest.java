package dev.runnel.broker.transaction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.ClusterNodes;
import dev.runnel.broker.testkit.HeldJournalWrite;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A producer that begins its next transaction as soon as its EndTxn is answered, while the markers of the one it
 * ended are still being written: its AddPartitionsToTxn and AddOffsetsToTxn wait for the markers at the
 * coordinator and succeed, instead of being refused CONCURRENT_TRANSACTIONS, which cost Kafka's producer a 20 ms
 * back-off for every transaction. Markers that cannot be written do not hold an addition longer than its wait.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BackToBackTransactionsTest {

  private static final String ID = "back-to-back";
  private static final List<TopicPartition> PARTITIONS =
      List.of(new TopicPartition("txn-a", 0), new TopicPartition("txn-a", 1), new TopicPartition("txn-b", 0));

  @Test
  void when_theNextTransactionBeginsRightAfterAnEndTxn_then_itsAdditionsWaitForTheMarkersAndSucceed()
      throws Exception {
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir())) {
      LogProbe.await(node.broker().createTopic("txn-a", 2, Map.of()));
      LogProbe.await(node.broker().createTopic("txn-b", 1, Map.of()));
      Transactions transactions = node.transactions();
      InitProducerIdResult producer = LogProbe.await(transactions.initProducerId(ID, 60_000, -1, (short) -1));
      assertEquals(Errors.NONE, producer.error());
      for (int i = 0; i < 30; i++) {
        // Either addition may be the first after the previous EndTxn.
        if (i % 2 == 0) {
          addPartitions(transactions, producer, i);
          addOffsets(transactions, producer, i);
        } else {
          addOffsets(transactions, producer, i);
          addPartitions(transactions, producer, i);
        }
        assertEquals(Errors.NONE, LogProbe.await(transactions.endTxn(ID, producer.producerId(),
            producer.producerEpoch(), i % 3 != 0)), "EndTxn of transaction " + i);
      }
    }
  }

  @Test
  void when_theMarkersCannotBeWritten_then_aParkedAdditionIsRefusedConcurrentTransactionsAfterItsWait_andSucceedsOnce()
      throws Exception {
    // PostgreSQL: a held insert there holds back only the inserts of its own key (see PartitionDeadlineTest).
    String database = ClusterNodes.createDatabase();
    Path dataDir = TestNodes.newDataDir();
    Map<String, Object> settings = Map.of("runnel.persistence.profile", "postgres",
        "runnel.persistence.postgres.url", ClusterNodes.databaseUrl(database));
    try (RunnelNode node = TestNodes.start(dataDir, settings)) {
      LogProbe.await(node.broker().createTopic("held", 1, Map.of()));
      PartitionId held = node.broker().partition("held", 0);
      assertEquals(0, LogProbe.await(node.broker().append(held,
          LogProbe.batch(System.currentTimeMillis(), List.of("k"), List.of("first")), (short) 1)).baseOffset());
      List<TopicPartition> partitions = List.of(new TopicPartition("held", 0));
      Transactions transactions = node.transactions();
      InitProducerIdResult producer = LogProbe.await(transactions.initProducerId(ID, 60_000, -1, (short) -1));
      long id = producer.producerId();
      short epoch = producer.producerEpoch();
      assertEquals(Errors.NONE, LogProbe.await(transactions.addPartitions(ID, id, epoch, partitions, false)).error());
      ByteBuffer record = MemoryRecords.withTransactionalRecords(Compression.NONE, id, epoch, 0,
          new SimpleRecord("in the transaction".getBytes(StandardCharsets.UTF_8))).buffer();
      assertEquals(Errors.NONE, LogProbe.await(node.broker().append(held, record, (short) -1)).error());

      // The partition's next journal write is the commit marker: held, the decision cannot complete.
      try (HeldJournalWrite hold = HeldJournalWrite.hold(TestNodes.config(dataDir, settings), held,
          LogProbe.journalEvents(node, held) + 1)) {
        assertEquals(Errors.NONE, LogProbe.await(transactions.endTxn(ID, id, epoch, true)));
        hold.awaitBlockedWrite(Duration.ofSeconds(10));
        long start = System.nanoTime();
        PartitionErrors refused = LogProbe.await(transactions.addPartitions(ID, id, epoch, partitions, false));
        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(Errors.CONCURRENT_TRANSACTIONS, refused.partitions().get(partitions.get(0)));
        assertTrue(waited.compareTo(Duration.ofMillis(450)) >= 0,
            "the addition waited for the markers before it was refused: " + waited);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      Errors added;
      do {
        added = LogProbe.await(transactions.addPartitions(ID, id, epoch, partitions, false)).partitions()
            .get(partitions.get(0));
      } while (added != Errors.NONE && System.nanoTime() < deadline);
      assertEquals(Errors.NONE, added, "once the markers are written the next transaction begins");
    } finally {
      ClusterNodes.dropDatabase(database);
    }
  }

  private static void addPartitions(Transactions transactions, InitProducerIdResult producer, int transaction)
      throws Exception {
    PartitionErrors added = LogProbe.await(transactions.addPartitions(ID, producer.producerId(),
        producer.producerEpoch(), PARTITIONS, false));
    assertEquals(Map.of(PARTITIONS.get(0), Errors.NONE, PARTITIONS.get(1), Errors.NONE, PARTITIONS.get(2),
        Errors.NONE), added.partitions(), "AddPartitionsToTxn of transaction " + transaction);
  }

  private static void addOffsets(Transactions transactions, InitProducerIdResult producer, int transaction)
      throws Exception {
    assertEquals(Errors.NONE, LogProbe.await(transactions.addOffsets(ID, producer.producerId(),
        producer.producerEpoch(), "group")), "AddOffsetsToTxn of transaction " + transaction);
  }
}
