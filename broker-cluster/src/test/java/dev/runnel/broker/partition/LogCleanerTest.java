package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.topic.TopicConfig;
import dev.runnel.persistence.PartitionEvent.LogCompacted;
import dev.runnel.persistence.PartitionEvent.Records;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionEvent.RecordsCompacted;
import dev.runnel.persistence.PartitionState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Retention and compaction decisions on states built from events, with the time given explicitly. */
@Timeout(30)
class LogCleanerTest {

  private static final Map<String, String> DEFAULTS = Map.of(
      "retention.ms", "-1", "retention.bytes", "-1", "cleanup.policy", "delete", "max.message.bytes", "1048588",
      "min.insync.replicas", "1", "compression.type", "producer", "segment.bytes", "1073741824",
      "delete.retention.ms", "1000", "min.compaction.lag.ms", "0");
  private static final Map<String, String> TIMESTAMP_DEFAULTS = Map.of("message.timestamp.type", "CreateTime",
      "message.timestamp.before.max.ms", "9223372036854775807", "message.timestamp.after.max.ms", "3600000");

  private static TopicConfig config(String... overrides) {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i < overrides.length; i += 2) {
      map.put(overrides[i], overrides[i + 1]);
    }
    Map<String, String> defaults = new HashMap<>(DEFAULTS);
    defaults.putAll(TIMESTAMP_DEFAULTS);
    return TopicConfig.resolve(defaults, map);
  }

  /** One batch from {@code baseOffset} with these keys and values (null: tombstone), at {@code timestamp}. */
  private static byte[] batch(long baseOffset, long timestamp, Compression compression, String... keysAndValues) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.MAGIC_VALUE_V2,
        compression, TimestampType.CREATE_TIME, baseOffset);
    for (int i = 0; i < keysAndValues.length; i += 2) {
      builder.appendWithOffset(baseOffset + i / 2, timestamp, bytes(keysAndValues[i]), bytes(keysAndValues[i + 1]));
    }
    ByteBuffer buffer = builder.build().buffer();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private static byte[] bytes(String text) {
    return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
  }

  /** Ten one-record batches, offsets 0-9, record i at timestamp 1000 * i, all of the same size. */
  private static PartitionState tenBatches() {
    PartitionState state = PartitionState.EMPTY;
    for (int i = 0; i < 10; i++) {
      state = state.apply(new RecordsAppended(i, i, batch(i, 1000L * i, Compression.NONE, "k", "v" + i)));
    }
    return state;
  }

  @ParameterizedTest(name = "retention.ms {0} at {1} ms moves the log start to {2}")
  @CsvSource({
      "-1, 100000, -1",
      "5000, 9000, 4",
      "5000, 5000, -1",
      "5000, 5001, 1",
      "0, 9001, 10",
      "100000, 9000, -1"})
  void when_batchesAreOlderThanRetentionMs_then_theLogStartMovesPastThem(long retentionMs, long now, long start) {
    OptionalLong moved = LogCleaner.retentionStart(tenBatches(), config("retention.ms", Long.toString(retentionMs)),
        now);
    assertEquals(start < 0 ? OptionalLong.empty() : OptionalLong.of(start), moved);
  }

  @ParameterizedTest(name = "retention.bytes of {0} batches plus {1} bytes keeps {2} batches")
  @CsvSource({"3, 0, 3", "3, 1, 4", "0, 0, 0", "10, 0, 10", "12, 0, 10"})
  void when_partitionIsLargerThanRetentionBytes_then_itKeepsTheFewestBatchesThatReachTheLimit(
      int batches, int extraBytes, int kept) {
    PartitionState state = tenBatches();
    long batchBytes = state.index().get(0).sizeInBytes();
    OptionalLong moved = LogCleaner.retentionStart(state,
        config("retention.bytes", Long.toString(batches * batchBytes + extraBytes)), 0);
    assertEquals(kept == 10 ? OptionalLong.empty() : OptionalLong.of(10 - kept), moved);
  }

  @Test
  void when_aBatchHasNoTimestamp_then_timeRetentionStopsAtIt() {
    PartitionState state = PartitionState.EMPTY
        .apply(new RecordsAppended(0, 0, batch(0, 1000, Compression.NONE, "k", "old")))
        .apply(new RecordsAppended(1, 1, batch(1, RecordBatch.NO_TIMESTAMP, Compression.NONE, "k", "untimed")))
        .apply(new RecordsAppended(2, 2, batch(2, 2000, Compression.NONE, "k", "old too")));
    assertEquals(OptionalLong.of(1), LogCleaner.retentionStart(state, config("retention.ms", "10"), 100_000));
  }

  @Test
  void when_topicIsOnlyCompacted_then_retentionNeverApplies() {
    assertEquals(OptionalLong.empty(), LogCleaner.retentionStart(tenBatches(),
        config("cleanup.policy", "compact", "retention.ms", "0", "retention.bytes", "0"), 100_000));
  }

  @Test
  void when_recordsAreYoungerThanTheCompactionLag_then_theyAreNotInThePlan() {
    Optional<LogCleaner.Plan> plan = LogCleaner.plan(tenBatches(),
        config("cleanup.policy", "compact", "min.compaction.lag.ms", "3000"), 9000);
    assertEquals(7, plan.orElseThrow().entries().size(), "batches with timestamps 0..6000 are old enough");
    Optional<LogCleaner.Plan> all = LogCleaner.plan(tenBatches(), config("cleanup.policy", "compact"), 100_000);
    assertEquals(9, all.orElseThrow().entries().size(), "the newest journal write is never compacted");
  }

  @ParameterizedTest(name = "dirty ratio 1/9 with min.cleanable.dirty.ratio {0}, max.compaction.lag.ms {1}: run {2}")
  @CsvSource({
      "0.5, 9223372036854775807, false",
      "0.1, 9223372036854775807, true",
      "0.5, 1000, true",
      "0.5, 200000, false"})
  void when_fewRecordsAreDirty_then_aRunIsDueOnlyPastTheDirtyRatioOrTheMaxCompactionLag(
      String ratio, String maxLag, boolean due) {
    // Compacted up to offset 7 already: of the nine cleanable writes only offset 8 (timestamp 8000) is dirty.
    PartitionState state = tenBatches().apply(new LogCompacted(8, -1));
    Optional<LogCleaner.Plan> plan = LogCleaner.plan(state, config("cleanup.policy", "compact",
        "min.cleanable.dirty.ratio", ratio, "max.compaction.lag.ms", maxLag), 100_000);
    assertEquals(due, plan.isPresent(), "a compaction run is due");
    plan.ifPresent(run -> assertEquals(9, run.entries().size(), "a run covers the whole cleanable range"));
  }

  @Test
  void when_nothingNewIsCleanable_then_noRunEvenWithARatioOfZero() {
    PartitionState state = tenBatches().apply(new LogCompacted(9, -1));
    assertEquals(Optional.empty(), LogCleaner.plan(state,
        config("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0", "max.compaction.lag.ms", "1"), 100_000));
  }

  private static byte[] transactional(long offset, long producerId, String key, String value) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.MAGIC_VALUE_V2,
        Compression.NONE, TimestampType.CREATE_TIME, offset, RecordBatch.NO_TIMESTAMP, producerId, (short) 0, 0,
        true, 0);
    builder.appendWithOffset(offset, 1000L, bytes(key), bytes(value));
    return array(builder.build().buffer());
  }

  private static byte[] marker(long offset, long producerId, boolean commit) {
    return array(MemoryRecords.withEndTransactionMarker(offset, 1000L, 0, producerId, (short) 0,
        new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 0)).buffer());
  }

  private static byte[] array(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  @Test
  void when_aCompactedTopicHasTransactions_then_abortedRecordsGoMarkersStayAndOpenOnesAreNotCleaned() {
    List<byte[]> writes = List.of(
        batch(0, 1000, Compression.NONE, "k", "v0"),
        transactional(1, 5, "k", "aborted"),
        batch(2, 1000, Compression.NONE, "k2", "x"),
        marker(3, 5, false),
        transactional(4, 6, "k", "committed"),
        marker(5, 6, true),
        transactional(6, 7, "k", "open"),
        batch(7, 1000, Compression.NONE, "k", "late"),
        batch(8, 1000, Compression.NONE, "z", "last"));
    PartitionState state = PartitionState.EMPTY;
    Map<Long, byte[]> journal = new HashMap<>();
    for (int i = 0; i < writes.size(); i++) {
      state = state.apply(new RecordsAppended(i, i, writes.get(i)));
      journal.put(state.lastSequenceNr(), writes.get(i));
    }
    assertEquals(6, state.lastStableOffset());

    LogCleaner.Plan plan = LogCleaner.plan(state, config("cleanup.policy", "compact"), 100_000).orElseThrow();
    assertEquals(6, plan.entries().size(), "the cleanable range ends below the LSO");
    LogCleaner.Result result = LogCleaner.compact(plan, events(state, journal).subList(0, 6), 100_000, 1 << 20);
    List<String> kept = new ArrayList<>();
    for (RecordsCompacted replacement : result.replacements()) {
      for (MutableRecordBatch batch : replacement.memoryRecords().batches()) {
        if (batch.isControlBatch()) {
          kept.add(batch.baseOffset() + " " + ControlRecordType.parse(batch.iterator().next().key()));
          continue;
        }
        for (Record record : batch) {
          kept.add(record.offset() + " " + StandardCharsets.UTF_8.decode(record.key()) + "="
              + StandardCharsets.UTF_8.decode(record.value()) + (batch.isTransactional() ? " (transactional)" : ""));
        }
      }
    }
    assertEquals(List.of("2 k2=x", "3 ABORT", "4 k=committed (transactional)", "5 COMMIT"), kept,
        "the newest committed value of k; the aborted one neither kept nor counted as newest");
  }

  private static List<Records> events(PartitionState state, Map<Long, byte[]> bySequenceNr) {
    List<Records> events = new ArrayList<>();
    for (int i = 0; i < state.index().size(); i++) {
      long sequenceNr = state.index().get(i).sequenceNr();
      events.add(new RecordsAppended(0, 0, bySequenceNr.get(sequenceNr)));
    }
    return events;
  }

  private static List<String> contents(byte[] records) {
    List<String> contents = new ArrayList<>();
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(ByteBuffer.wrap(records)).batches()) {
      contents.add("batch " + batch.baseOffset() + ".." + batch.lastOffset());
      for (Record record : batch) {
        contents.add(record.offset() + " " + StandardCharsets.UTF_8.decode(record.key())
            + "=" + (record.hasValue() ? StandardCharsets.UTF_8.decode(record.value()) : "null"));
      }
    }
    return contents;
  }

  @Test
  void when_compacted_then_newestPerKeyKeepsItsOffsetAndRebuiltBatchesKeepTheirOffsetRange() {
    Map<Long, byte[]> journal = new HashMap<>();
    PartitionState state = PartitionState.EMPTY;
    String[][] batches = {
        {"a", "a0", "b", "b0", "c", "c0"},
        {"a", "a1", "b", null, "d", "d0"},
        {"c", "c1", "e", "e0"}};
    long offset = 0;
    for (String[] keysAndValues : batches) {
      byte[] records = batch(offset, 500, Compression.gzip().build(), keysAndValues);
      state = state.apply(new RecordsAppended(offset, offset + keysAndValues.length / 2 - 1, records));
      journal.put(state.lastSequenceNr(), records);
      offset += keysAndValues.length / 2;
    }
    LogCleaner.Plan plan = LogCleaner.plan(state, config("cleanup.policy", "compact"), 1000).orElseThrow();
    assertEquals(2, plan.entries().size());

    LogCleaner.Result result = LogCleaner.compact(plan, events(state, journal).subList(0, 2), 1000, 1 << 20);

    assertEquals(1, result.replacements().size(), "both batches fit in one replacement");
    RecordsCompacted replacement = result.replacements().get(0);
    assertEquals(0, replacement.fromOffset());
    assertEquals(5, replacement.toOffset());
    assertEquals(List.of("batch 0..2", "2 c=c0", "batch 3..5", "3 a=a1", "4 b=null", "5 d=d0"),
        contents(replacement.records()), "c0 stays: c1 lies beyond the cleanable range");
    assertEquals(500, result.completion().oldestTombstoneTimestamp(), "the kept tombstone's timestamp");
    assertEquals(6, result.completion().firstDirtyOffset());
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(ByteBuffer.wrap(replacement.records())).batches()) {
      assertEquals(CompressionType.GZIP, batch.compressionType(), "a rebuilt batch keeps its codec");
      batch.ensureValid();
    }

    PartitionState compacted = state.apply(replacement).apply(result.completion());
    LogCleaner.Result later = LogCleaner.compact(
        LogCleaner.plan(compacted, config("cleanup.policy", "compact"), 2000).orElseThrow(),
        List.of(replacement), 2000, 1 << 20);
    assertEquals(List.of("batch 0..2", "2 c=c0", "batch 3..5", "3 a=a1", "5 d=d0"),
        contents(later.replacements().get(0).records()), "the tombstone goes after delete.retention.ms");
    assertEquals(-1, later.completion().oldestTombstoneTimestamp());
  }

  @Test
  void when_nothingIsObsolete_then_noReplacementIsWritten() {
    Map<Long, byte[]> journal = new HashMap<>();
    PartitionState state = PartitionState.EMPTY;
    for (int i = 0; i < 3; i++) {
      byte[] records = batch(i, 0, Compression.NONE, "key" + i, "v");
      state = state.apply(new RecordsAppended(i, i, records));
      journal.put(state.lastSequenceNr(), records);
    }
    LogCleaner.Plan plan = LogCleaner.plan(state, config("cleanup.policy", "compact"), 10).orElseThrow();
    LogCleaner.Result result = LogCleaner.compact(plan, events(state, journal).subList(0, 2), 10, 1 << 20);
    assertTrue(result.replacements().isEmpty());
    assertEquals(2, result.completion().firstDirtyOffset());
    PartitionState done = state.apply(result.completion());
    assertEquals(Optional.empty(), LogCleaner.plan(done, config("cleanup.policy", "compact"), 10),
        "no new data and no tombstone: nothing is due");
  }
}
