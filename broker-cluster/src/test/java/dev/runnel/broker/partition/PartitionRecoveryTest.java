package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Restarts of a node on the same data directory: state from snapshots plus events, data from the journal. */
@Timeout(120)
class PartitionRecoveryTest {

  private static final Map<String, Object> SMALL_SNAPSHOTS = Map.of("runnel.broker.partition.snapshot-every", 3);

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void when_theNodeRestarts_then_theLogIdempotenceStateAndBadInputRefusalsAreAsBefore() throws Exception {
    Path dataDir = TestNodes.newDataDir();
    long endBefore;
    try (RunnelNode node = TestNodes.start(dataDir, SMALL_SNAPSHOTS)) {
      Broker broker = node.broker();
      TopicMetadata topic = await(broker.createTopic("recovering", 2, Map.of("max.message.bytes", "2000")));
      PartitionId partition = Broker.partition(topic, 1);
      for (int i = 0; i < 10; i++) {
        assertEquals(Errors.NONE, await(broker.append(partition, LogAppenderTest.plain("v" + i), (short) 1)).error());
      }
      AppendResult idempotent =
          await(broker.append(partition, LogAppenderTest.idempotent(99, (short) 0, 0, "once"), (short) -1));
      assertEquals(10, idempotent.baseOffset());

      ByteBuffer corrupt = LogAppenderTest.plain("corrupt me");
      corrupt.put(corrupt.limit() - 2, (byte) 0);
      assertEquals(Errors.CORRUPT_MESSAGE, await(broker.append(partition, corrupt, (short) -1)).error());
      assertEquals(Errors.MESSAGE_TOO_LARGE,
          await(broker.append(partition, LogAppenderTest.plain("x".repeat(3000)), (short) -1)).error());
      endBefore = await(broker.status(partition)).logEndOffset();
      assertEquals(11, endBefore, "refused appends took no offsets");
    }

    try (RunnelNode node = TestNodes.start(dataDir, SMALL_SNAPSHOTS)) {
      Broker broker = node.broker();
      TopicMetadata topic = await(broker.lookupTopic("recovering")).orElseThrow();
      assertEquals(Map.of("max.message.bytes", "2000"), topic.configs(), "topic configs recovered");
      PartitionId partition = Broker.partition(topic, 1);
      assertEquals(endBefore, await(broker.status(partition)).logEndOffset());

      AppendResult retried =
          await(broker.append(partition, LogAppenderTest.idempotent(99, (short) 0, 0, "once"), (short) -1));
      assertEquals(10, retried.baseOffset(), "a retry after restart is answered with the original offset");
      assertEquals(endBefore, await(broker.status(partition)).logEndOffset(), "and is not stored again");

      FetchResult fetch = await(broker.fetch(partition, 0, 1 << 20, Duration.ZERO));
      long expected = 0;
      for (MutableRecordBatch batch : MemoryRecords.readableRecords(fetch.records()).batches()) {
        assertEquals(expected, batch.baseOffset());
        expected = batch.lastOffset() + 1;
      }
      assertEquals(11, expected, "every record read back from the journal after restart");
      assertEquals(Errors.MESSAGE_TOO_LARGE,
          await(broker.append(partition, LogAppenderTest.plain("x".repeat(3000)), (short) -1)).error());
      assertEquals(Errors.OFFSET_OUT_OF_RANGE, await(broker.fetch(partition, 12, 1000, Duration.ZERO)).error());
      assertEquals(Errors.OFFSET_OUT_OF_RANGE, await(broker.fetch(partition, -1, 1000, Duration.ZERO)).error());
    }
  }

  @Test
  void when_aFetchWaitsAtTheLogEnd_then_anAppendWakesIt() throws Exception {
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir())) {
      Broker broker = node.broker();
      PartitionId partition = Broker.partition(await(broker.createTopic("waiting", 1, Map.of())), 0);
      CompletionStage<FetchResult> waiting = broker.fetch(partition, 0, 1000, Duration.ofSeconds(20));
      assertEquals(Errors.NONE, await(broker.append(partition, LogAppenderTest.plain("wake"), (short) 1)).error());
      FetchResult woken = waiting.toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(1, woken.highWatermark());
      assertEquals(0, MemoryRecords.readableRecords(woken.records()).batches().iterator().next().baseOffset());

      FetchResult timedOut = await(broker.fetch(partition, 1, 1000, Duration.ofMillis(200)));
      assertEquals(Errors.NONE, timedOut.error());
      assertEquals(0, timedOut.records().remaining(), "an expired wait answers with no records");
    }
  }
}
