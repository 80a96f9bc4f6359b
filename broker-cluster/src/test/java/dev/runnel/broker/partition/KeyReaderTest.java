package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reads of one key's records through the partition's key index, across restarts, and where the index is bounded. */
@Timeout(120)
class KeyReaderTest {

  private static final Map<String, Object> SMALL_SNAPSHOTS = Map.of("runnel.broker.partition.snapshot-every", 4);

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Appends {@code perStream} events to each stream, interleaved, one append (one journal event) each. */
  private static void writeInterleaved(Broker broker, PartitionId partition, List<String> streams, int perStream)
      throws Exception {
    for (int i = 0; i < perStream; i++) {
      for (String stream : streams) {
        ByteBuffer batch = LogProbe.batch(System.currentTimeMillis(), List.of(stream), List.of(stream + "-" + i));
        assertEquals(Errors.NONE, LogProbe.await(broker.append(partition, batch, (short) -1)).error());
      }
    }
  }

  /** Every record of the key, following the reads' next offsets, and the journal events they examined. */
  private record KeyRead(List<String> values, int eventsRead, long version, int pages) {}

  private static KeyRead readAll(Broker broker, PartitionId partition, String key) throws Exception {
    List<String> values = new ArrayList<>();
    int events = 0;
    int pages = 0;
    long offset = 0;
    KeyReadResult read;
    do {
      read = LogProbe.await(broker.readKey(partition, bytes(key), offset));
      assertEquals(Errors.NONE, read.error(), read.message());
      pages++;
      events += read.eventsRead();
      for (RecordBatch batch : MemoryRecords.readableRecords(read.records()).batches()) {
        for (Record record : batch) {
          assertEquals(key, StandardCharsets.UTF_8.decode(record.key()).toString(), "only the key's records");
          assertTrue(record.offset() >= offset, "records from the offset asked for");
          values.add(StandardCharsets.UTF_8.decode(record.value()).toString());
        }
      }
      assertTrue(read.endOfKey() || read.nextOffset() > offset, "each page moves on");
      offset = read.nextOffset();
    } while (!read.endOfKey());
    return new KeyRead(values, events, read.version(), pages);
  }

  @Test
  void when_theNodeRestarts_then_aKeyReadReturnsExactlyItsRecordsInOrderReadingOnlyTheirEvents() throws Exception {
    Path dataDir = TestNodes.newDataDir();
    List<String> streams = List.of("order-1", "order-2", "order-3", "order-4");
    try (RunnelNode node = TestNodes.start(dataDir, SMALL_SNAPSHOTS)) {
      TopicMetadata topic = LogProbe.await(node.broker().createTopic("orders", 1, Map.of("retention.ms", "-1")));
      writeInterleaved(node.broker(), Broker.partition(topic, 0), streams, 6);
    }
    try (RunnelNode node = TestNodes.start(dataDir, SMALL_SNAPSHOTS)) {
      Broker broker = node.broker();
      PartitionId partition = Broker.partition(LogProbe.await(broker.lookupTopic("orders")).orElseThrow(), 0);

      KeyRead read = readAll(broker, partition, "order-3");

      assertEquals(List.of("order-3-0", "order-3-1", "order-3-2", "order-3-3", "order-3-4", "order-3-5"),
          read.values());
      assertEquals(6, read.version());
      assertEquals(6, read.eventsRead(), "one journal event per append of the key, none of the other "
          + "streams' " + 18 + " events");
      KeyRead unknown = readAll(broker, partition, "order-9");
      assertEquals(List.of(), unknown.values());
      assertEquals(0, unknown.eventsRead(), "a key the index does not hold costs no read");

      AppendResult stale = LogProbe.await(broker.append(partition,
          LogProbe.batch(1L, List.of("order-3"), List.of("late")), AppendCondition.version(bytes("order-3"), 5)));
      assertTrue(stale.isConflict(), "the recovered index knows order-3 is at version 6: " + stale);
      assertEquals(6, stale.conflict().currentVersion());
      assertEquals(22, stale.conflict().currentKeyOffset(), "order-3's sixth record is the 23rd of the log");
      AppendResult next = LogProbe.await(broker.append(partition,
          LogProbe.batch(1L, List.of("order-3"), List.of("order-3-6")), AppendCondition.version(bytes("order-3"), 6)));
      assertTrue(next.isStored(), next.toString());
      assertEquals(24, next.baseOffset());
    }
  }

  @Test
  void when_aKeyHasMoreRecordsThanTheIndexKeeps_then_theReadScansBelowThemAndStillReturnsThemAll()
      throws Exception {
    Map<String, Object> bounded = Map.of(
        "runnel.broker.partition.key-index.max-offsets-per-key", 2,
        "runnel.broker.partition.key-read-max-bytes", 200);
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir(), bounded)) {
      Broker broker = node.broker();
      PartitionId partition = Broker.partition(
          LogProbe.await(broker.createTopic("long-streams", 1, Map.of("retention.ms", "-1"))), 0);
      writeInterleaved(broker, partition, List.of("a", "b"), 5);

      KeyRead read = readAll(broker, partition, "a");

      assertEquals(List.of("a-0", "a-1", "a-2", "a-3", "a-4"), read.values());
      assertEquals(5, read.version());
      assertTrue(read.pages() > 1, "the byte bound split the read into pages: " + read.pages());
      assertTrue(read.eventsRead() > 5, "the records the index no longer keeps were found by a scan");
    }
  }
}
