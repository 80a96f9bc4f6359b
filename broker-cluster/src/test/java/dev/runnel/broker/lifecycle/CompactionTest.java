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
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.KeyReadResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.HeldExecutor;
import dev.runnel.broker.testkit.LogProbe.Read;
import dev.runnel.broker.testkit.ManualClock;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Compaction of a {@code cleanup.policy=compact} topic on a real node with an H2 journal: 10,000 updates over 100
 * keys, the last update of ten keys a tombstone, written as 100 batches of 100 records, then one more batch (the
 * newest journal write, never compacted).
 */
@Timeout(300)
class CompactionTest {

  private static final Map<String, Object> SETTINGS = Map.of(
      "runnel.broker.partition.retention-check-interval", "100 ms",
      "runnel.broker.partition.compaction-check-interval", "100 ms",
      // A small tail cache, so compaction reads most of the log from the journal's read side.
      "runnel.broker.partition.tail-cache-bytes", "16 KiB",
      // Compacted events of at most ~8 input batches each, so a run writes several.
      "runnel.broker.partition.max-write-bytes", "20 KiB");

  private static final Map<String, String> TOPIC = Map.of(
      "cleanup.policy", "compact", "delete.retention.ms", "3600000", "min.compaction.lag.ms", "0");

  private final ManualClock clock = new ManualClock(1_800_000_000_000L);
  private Path dataDir;
  private RunnelNode node;
  private Broker broker;

  @BeforeEach
  void setUp() {
    dataDir = TestNodes.newDataDir();
  }

  private void startNode(Optional<java.util.concurrent.Executor> cleaner) {
    node = TestNodes.start(dataDir, SETTINGS, new NodeEnvironment(clock, cleaner));
    broker = node.broker();
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private long writtenBytes;

  /** Writes the updates and the closing batch; answers the newest record of every key, tombstones included. */
  private Map<String, Read> writeUpdates(PartitionId partition) throws Exception {
    Map<String, Read> newest = new HashMap<>();
    for (int b = 0; b < 100; b++) {
      List<String> keys = new ArrayList<>();
      List<String> values = new ArrayList<>();
      for (int r = 0; r < 100; r++) {
        int update = b * 100 + r;
        String key = "key-" + (update * 37 % 100);
        boolean tombstone = b == 99 && update * 37 % 100 < 10;
        keys.add(key);
        values.add(tombstone ? null : "value-" + update);
        newest.put(key, new Read(update, key, tombstone ? null : "value-" + update));
      }
      java.nio.ByteBuffer records = batch(clock.millis(), keys, values);
      writtenBytes += records.remaining();
      AppendResult result = await(broker.append(partition, records, (short) -1));
      assertEquals(Errors.NONE, result.error());
      assertEquals(b * 100L, result.baseOffset());
    }
    AppendResult last = await(broker.append(partition, batch(clock.millis(), List.of("end"), List.of("end")),
        (short) -1));
    assertEquals(10_000L, last.baseOffset());
    newest.put("end", new Read(10_000, "end", "end"));
    return newest;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The records of a key read, as a consumer would see them. */
  private static List<Read> keyRecords(KeyReadResult read) {
    assertEquals(Errors.NONE, read.error(), read.message());
    List<Read> records = new ArrayList<>();
    for (org.apache.kafka.common.record.internal.RecordBatch batch
        : MemoryRecords.readableRecords(read.records()).batches()) {
      for (org.apache.kafka.common.record.internal.Record record : batch) {
        records.add(new Read(record.offset(), text(record.key()), text(record.value())));
      }
    }
    return records;
  }

  private static String text(java.nio.ByteBuffer buffer) {
    return buffer == null ? null : java.nio.charset.StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
  }

  private static List<Read> inOffsetOrder(Map<String, Read> newest, boolean withTombstones) {
    return newest.values().stream()
        .filter(read -> withTombstones || read.value() != null)
        .sorted(Comparator.comparingLong(Read::offset))
        .toList();
  }

  @Test
  void when_compacted_then_aReaderFromTheStartSeesTheNewestValueOfEachKeyAtItsOriginalOffset() throws Exception {
    startNode(Optional.empty());
    TopicMetadata topic = await(broker.createTopic("profiles", 1, TOPIC));
    PartitionId partition = Broker.partition(topic, 0);
    Map<String, Read> newest = writeUpdates(partition);

    List<Read> expected = inOffsetOrder(newest, true);
    assertEquals(101, expected.size(), "100 keys (10 of them deleted) and the closing record");
    await().atMost(Duration.ofSeconds(60)).until(() -> readAll(broker, partition, 0).equals(expected));
    KeyReadResult kept = await(broker.readKey(partition, bytes("key-50"), 0));
    assertEquals(List.of(newest.get("key-50")), keyRecords(kept), "the key index kept only the surviving offset");
    assertEquals(100, kept.version(), "compaction keeps a key's version: 100 updates");
    assertEquals(1, kept.eventsRead(), "one compacted event holds key-50's survivor");

    assertEquals(10_001, await(broker.status(partition)).logEndOffset(), "compaction never moves the log end");
    long size = await(broker.status(partition)).sizeInBytes();
    assertTrue(size < writtenBytes / 10, "the log shrank from " + writtenBytes + " to " + size + " bytes");
    // 101 appends were 101 journal events; the compacted events replace 100 of them.
    await().atMost(Duration.ofSeconds(30))
        .until(() -> journalEvents(node, partition) < 30);

    clock.advance(Duration.ofHours(2));
    List<Read> live = inOffsetOrder(newest, false);
    assertEquals(91, live.size());
    await().atMost(Duration.ofSeconds(60)).until(() -> readAll(broker, partition, 0).equals(live));
    KeyReadResult deleted = await(broker.readKey(partition, bytes("key-5"), 0));
    assertEquals(List.of(), keyRecords(deleted));
    assertEquals(0, deleted.version(), "a key whose tombstone is gone left the index");

    node.close();
    startNode(Optional.empty());
    assertEquals(live, readAll(broker, partition, 0), "the compacted log survives a restart");
    KeyReadResult recovered = await(broker.readKey(partition, bytes("key-50"), 0));
    assertEquals(List.of(newest.get("key-50")), keyRecords(recovered), "the index after compaction is recovered");
    assertEquals(100, recovered.version());
    FetchResult inGap = await(broker.fetch(partition, 5, 1024, Duration.ZERO));
    assertEquals(Errors.NONE, inGap.error(), "an offset compaction removed is still in range");
    long firstBatch = MemoryRecords.readableRecords(inGap.records()).batches().iterator().next().baseOffset();
    assertTrue(firstBatch >= 5 || firstBatch == 0, "the fetch is served from the next kept batch");
  }

  @Test
  void when_compactionIsUnderWay_then_appendsAndTailFetchesGoOnAndARestartLeavesAConsistentLog() throws Exception {
    HeldExecutor held = new HeldExecutor();
    startNode(Optional.of(held));
    TopicMetadata topic = await(broker.createTopic("accounts", 1, TOPIC));
    PartitionId partition = Broker.partition(topic, 0);
    Map<String, Read> newest = writeUpdates(partition);
    List<Read> uncompacted = readAll(broker, partition, 0);
    assertEquals(10_001, uncompacted.size(), "the log is whole before compaction");

    await().atMost(Duration.ofSeconds(30)).until(() -> held.heldTasks() > 0);

    // The compaction run is held mid-way; the partition still takes appends and serves its tail.
    CompletableFuture<FetchResult> tail =
        broker.fetch(partition, 10_001, 1024, Duration.ofSeconds(20)).toCompletableFuture();
    AppendResult appended = await(broker.append(partition,
        batch(clock.millis(), List.of("key-50"), List.of("during")), (short) -1));
    assertEquals(10_001, appended.baseOffset());
    FetchResult tailRead = await(tail);
    assertEquals(Errors.NONE, tailRead.error());
    assertEquals(10_001, MemoryRecords.readableRecords(tailRead.records()).batches().iterator().next().baseOffset(),
        "the waiting tail fetch got the new batch while compaction was held");
    assertEquals(10_002, readAll(broker, partition, 0).size(), "nothing was compacted yet");

    // A restart in the middle of the run: its work is lost, nothing of it was persisted. The run the restarted
    // partition starts is held too, so the log can be read whole first.
    node.close();
    node = null;
    HeldExecutor heldAgain = new HeldExecutor();
    startNode(Optional.of(heldAgain));
    assertEquals(10_002, await(broker.status(partition)).logEndOffset(), "the partition recovered");
    await().atMost(Duration.ofSeconds(30)).until(() -> heldAgain.heldTasks() > 0);
    List<Read> afterRestart = readAll(broker, partition, 0);
    assertEquals(10_002, afterRestart.size(), "the log is whole after the interrupted run");
    assertEquals(uncompacted, afterRestart.subList(0, 10_001));
    heldAgain.release();

    // The batch at 10,001 is the newest journal write, so it is not compacted, and the range below it is cleaned
    // against its own newest values: key-50's older value stays until the head is compacted too.
    List<Read> expected = new ArrayList<>(inOffsetOrder(newest, true));
    expected.add(new Read(10_001, "key-50", "during"));
    await().atMost(Duration.ofSeconds(60)).until(() -> readAll(broker, partition, 0).equals(expected));
  }

  @Test
  void when_aRecordWithoutKeyIsAppendedToACompactedTopic_then_itIsRefusedAndNothingIsStored() throws Exception {
    startNode(Optional.empty());
    TopicMetadata topic = await(broker.createTopic("keyed-only", 1, TOPIC));
    PartitionId partition = Broker.partition(topic, 0);
    AppendResult refused = await(broker.append(partition,
        batch(clock.millis(), java.util.Arrays.asList("a", null), List.of("1", "2")), (short) -1));
    assertEquals(Errors.INVALID_RECORD, refused.error());
    assertEquals(0, await(broker.status(partition)).logEndOffset(), "no record of the batch was stored");
    AppendResult keyed = await(broker.append(partition, batch(clock.millis(), List.of("a"), List.of("1")),
        (short) -1));
    assertEquals(Errors.NONE, keyed.error());
  }
}
