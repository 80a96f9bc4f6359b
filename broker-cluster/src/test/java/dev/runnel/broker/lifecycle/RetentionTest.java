package dev.runnel.broker.lifecycle;

import static dev.runnel.broker.testkit.LogProbe.await;
import static dev.runnel.broker.testkit.LogProbe.batch;
import static dev.runnel.broker.testkit.LogProbe.journalEvents;
import static dev.runnel.broker.testkit.LogProbe.readAll;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.Broker;
import dev.runnel.broker.NodeEnvironment;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.DeleteRecordsResult;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.partition.PartitionStatus;
import dev.runnel.broker.testkit.LogProbe.Read;
import dev.runnel.broker.testkit.ManualClock;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Retention by time and size, and DeleteRecords, through the broker facade on a real node with an H2 journal. */
@Timeout(180)
class RetentionTest {

  private static final Map<String, Object> FAST_CHECKS = Map.of(
      "runnel.broker.partition.retention-check-interval", "100 ms",
      "runnel.broker.partition.compaction-check-interval", "100 ms");

  private final ManualClock clock = new ManualClock(1_800_000_000_000L);
  private Path dataDir;
  private RunnelNode node;
  private Broker broker;

  @BeforeEach
  void start() {
    dataDir = TestNodes.newDataDir();
    startNode();
  }

  private void startNode() {
    node = TestNodes.start(dataDir, FAST_CHECKS, new NodeEnvironment(clock, Optional.empty()));
    broker = node.broker();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  /**
   * Appends {@code batches} batches of five records "bbb-r" (batch and record number, so all batches have the
   * same size) at the clock's time, one journal write each.
   */
  private void appendBatches(PartitionId partition, int first, int batches) throws Exception {
    for (int b = first; b < first + batches; b++) {
      List<String> keys = List.of("k0", "k1", "k2", "k3", "k4");
      String prefix = String.format("%03d-", b);
      List<String> values = List.of(prefix + 0, prefix + 1, prefix + 2, prefix + 3, prefix + 4);
      AppendResult result = await(broker.append(partition, batch(clock.millis(), keys, values), (short) -1));
      assertEquals(Errors.NONE, result.error(), "append of batch " + b);
    }
  }

  private long earliest(PartitionId partition) throws Exception {
    return await(broker.listOffsets(partition, Partition.EARLIEST_TIMESTAMP)).offset();
  }

  @Test
  void when_recordsOutliveRetentionMs_then_fetchesLoseThemEarliestMovesAndJournalRowsAreDeleted() throws Exception {
    TopicMetadata topic = await(broker.createTopic("clicks", 1, Map.of("retention.ms", "3600000")));
    PartitionId partition = Broker.partition(topic, 0);
    appendBatches(partition, 0, 10);
    clock.advance(Duration.ofMinutes(30));
    appendBatches(partition, 10, 10);
    assertEquals(20, journalEvents(node, partition), "one journal event per batch");
    assertEquals(0, earliest(partition));

    clock.advance(Duration.ofMinutes(45));

    await().atMost(Duration.ofSeconds(30)).until(() -> earliest(partition) == 50);
    FetchResult below = await(broker.fetch(partition, 49, 1024, Duration.ZERO));
    assertEquals(Errors.OFFSET_OUT_OF_RANGE, below.error(), "a fetch below the log start is out of range");
    assertEquals(50, below.logStartOffset(), "and tells the consumer the new log start");
    List<Read> reads = readAll(broker, partition, earliest(partition));
    assertEquals(50, reads.size(), "the 10 younger batches stay");
    assertEquals(new Read(50, "k0", "010-0"), reads.get(0));
    // Events 1-10 are deleted; the 10 live appends (11-20) and the LogStartOffsetAdvanced event (21) stay.
    await().atMost(Duration.ofSeconds(30)).until(() -> journalEvents(node, partition) == 11);
    PartitionStatus status = await(broker.status(partition));
    assertEquals(new PartitionStatus(50, 100, status.sizeInBytes(), 21), status,
        "20 appends and the log start moving are 21 journal writes");

    node.close();
    startNode();
    assertEquals(50, earliest(partition), "the log start survives a restart");
    assertEquals(reads, readAll(broker, partition, 50), "and recovery needs none of the deleted events");
  }

  @Test
  void when_retentionBytesIsSetAtRuntime_then_thePartitionShrinksToWithinOneBatchOfIt() throws Exception {
    TopicMetadata topic = await(broker.createTopic("sized", 1, Map.of("retention.ms", "-1")));
    PartitionId partition = Broker.partition(topic, 0);
    appendBatches(partition, 0, 1);
    long batchBytes = await(broker.status(partition)).sizeInBytes();
    appendBatches(partition, 1, 19);
    clock.advance(Duration.ofDays(365));
    long limit = 5 * batchBytes + batchBytes / 2;
    assertEquals(20 * batchBytes, await(broker.status(partition)).sizeInBytes(), "retention.ms -1 keeps all");

    await(broker.alterConfigs("sized", Map.of("retention.ms", "-1", "retention.bytes", Long.toString(limit))));

    await().atMost(Duration.ofSeconds(30)).until(() -> earliest(partition) > 0);
    PartitionStatus status = await(broker.status(partition));
    assertTrue(status.sizeInBytes() >= limit && status.sizeInBytes() < limit + batchBytes,
        "size " + status.sizeInBytes() + " within one batch (" + batchBytes + ") above retention.bytes " + limit);
    assertEquals(6 * batchBytes, status.sizeInBytes(), "six whole batches are the least that is at least the limit");
    assertEquals(70, status.logStartOffset());
    assertEquals(30, readAll(broker, partition, 70).size());
    await().atMost(Duration.ofSeconds(30)).until(() -> journalEvents(node, partition) == 7);
  }

  @Test
  void when_recordsAreDeleted_then_theLogStartMovesToTheOffsetAndLaterReadsStartThere() throws Exception {
    TopicMetadata topic = await(broker.createTopic("ledger", 1, Map.of()));
    PartitionId partition = Broker.partition(topic, 0);
    appendBatches(partition, 0, 20);

    assertEquals(DeleteRecordsResult.of(37), await(broker.deleteRecords(partition, 37)));

    assertEquals(37, earliest(partition));
    assertEquals(Errors.OFFSET_OUT_OF_RANGE, await(broker.fetch(partition, 36, 1024, Duration.ZERO)).error());
    List<Read> reads = readAll(broker, partition, 37);
    assertEquals(new Read(37, "k2", "007-2"), reads.get(0), "the batch holding 37 is served from 37 on");
    assertEquals(63, reads.size());
    assertEquals(DeleteRecordsResult.of(37), await(broker.deleteRecords(partition, 10)),
        "an offset below the log start changes nothing");
    assertEquals(DeleteRecordsResult.error(Errors.OFFSET_OUT_OF_RANGE), await(broker.deleteRecords(partition, 101)),
        "an offset beyond the high watermark is refused");
    assertEquals(DeleteRecordsResult.of(100), await(broker.deleteRecords(partition, -1)),
        "-1 deletes up to the high watermark");
    assertEquals(100, earliest(partition));
    assertEquals(0, await(broker.status(partition)).sizeInBytes());
    appendBatches(partition, 20, 1);
    assertEquals(List.of(new Read(100, "k0", "020-0")), readAll(broker, partition, 100).subList(0, 1),
        "appends go on after the log was emptied");
  }

  @Test
  void when_topicIsOnlyCompacted_then_deleteRecordsIsAPolicyViolation() throws Exception {
    TopicMetadata topic = await(broker.createTopic("table", 1, Map.of("cleanup.policy", "compact")));
    PartitionId partition = Broker.partition(topic, 0);
    appendBatches(partition, 0, 2);
    assertEquals(DeleteRecordsResult.error(Errors.POLICY_VIOLATION), await(broker.deleteRecords(partition, 5)));
    assertEquals(0, earliest(partition), "and nothing was deleted");
  }
}
