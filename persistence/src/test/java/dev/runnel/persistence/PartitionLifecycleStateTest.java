package dev.runnel.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.runnel.persistence.PartitionEvent.LogCompacted;
import dev.runnel.persistence.PartitionEvent.LogStartOffsetAdvanced;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionEvent.RecordsCompacted;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class PartitionLifecycleStateTest {

  /** One batch of {@code count} records from {@code baseOffset}, each with timestamp {@code timestamp}. */
  static byte[] batch(long baseOffset, int count, long timestamp) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.MAGIC_VALUE_V2,
        Compression.NONE, TimestampType.CREATE_TIME, baseOffset);
    for (int i = 0; i < count; i++) {
      builder.appendWithOffset(baseOffset + i, timestamp, ("k" + i).getBytes(StandardCharsets.UTF_8),
          ("v" + i).getBytes(StandardCharsets.UTF_8));
    }
    ByteBuffer buffer = builder.build().buffer();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  /** Three events: offsets 0-9 (seq 1), 10-19 (seq 2), 20-29 (seq 3). */
  static PartitionState threeEvents() {
    PartitionState state = PartitionState.EMPTY;
    for (int i = 0; i < 3; i++) {
      state = state.apply(new RecordsAppended(i * 10L, i * 10L + 9, batch(i * 10L, 10, 1000 + i)));
    }
    return state;
  }

  @Test
  void when_logStartAdvances_then_entriesWhollyBelowItLeaveTheIndexAndTheSize() {
    PartitionState state = threeEvents();
    int first = state.index().get(0).sizeInBytes();
    PartitionState advanced = state.apply(new LogStartOffsetAdvanced(15));
    assertEquals(15, advanced.logStartOffset());
    assertEquals(2, advanced.index().size(), "the entry holding 15 stays");
    assertEquals(state.sizeInBytes() - first, advanced.sizeInBytes());
    assertEquals(2, advanced.index().minSequenceNr(), "event 1 is no longer referred to");
    assertEquals(4, advanced.lastSequenceNr());
  }

  @Test
  void when_rangeIsCompacted_then_theCompactedEventHoldsItAtANewSequenceNumber() {
    PartitionState state = threeEvents();
    byte[] kept = batch(3, 2, 1000);
    PartitionState compacted = state.apply(new RecordsCompacted(0, 19, kept)).apply(new LogCompacted(20, -1));
    assertEquals(List.of(new IndexEntry(3, 4, 4, kept.length, 1000), state.index().get(2)),
        compacted.index().toList());
    assertEquals(3, compacted.index().minSequenceNr(), "events 1 and 2 are no longer referred to");
    assertEquals(kept.length + state.index().get(2).sizeInBytes(), compacted.sizeInBytes());
    assertEquals(20, compacted.firstDirtyOffset());
    assertEquals(30, compacted.logEndOffset(), "compaction never moves the log end");
  }

  @Test
  void when_compactionLeavesNothing_then_theRangeBecomesAGap() {
    PartitionState compacted = threeEvents().apply(new RecordsCompacted(10, 19, new byte[0]));
    assertEquals(2, compacted.index().size());
    assertEquals(20, compacted.index().get(compacted.index().positionFor(12)).baseOffset(),
        "a fetch from inside the gap starts at the next kept entry");
  }

  @Test
  void when_compactedRangeSplitsAnEntry_then_applyRefusesIt() {
    assertThrows(IllegalStateException.class, () -> threeEvents().apply(new RecordsCompacted(5, 19, new byte[0])));
  }
}
