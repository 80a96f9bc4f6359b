package dev.runnel.broker.transaction;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A producer that begins its next transaction as soon as its EndTxn is answered, while the markers of the one it
 * ended are still being written: its AddPartitionsToTxn and AddOffsetsToTxn wait for the markers at the
 * coordinator and succeed, instead of being refused CONCURRENT_TRANSACTIONS, which cost Kafka's producer a 20 ms
 * back-off for every transaction.
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
