package dev.runnel.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.persistence.PartitionEvent.LogStartOffsetAdvanced;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionEvent.RecordsCompacted;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class KeyIndexTest {

  private static final KeyIndex.Limits LIMITS = new KeyIndex.Limits(3, 4);

  /** One batch with these keys (null: keyless) from offset {@code base}, compressed or not. */
  private static ByteBuffer batch(long base, Compression compression, String... keys) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(256), RecordBatch.MAGIC_VALUE_V2,
        compression, TimestampType.CREATE_TIME, base);
    for (String key : keys) {
      builder.append(1_000L, key == null ? null : bytes(key), bytes("v"));
    }
    return builder.build().buffer();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static KeyIndex.Key key(String text) {
    return new KeyIndex.Key(bytes(text));
  }

  private static PartitionState append(PartitionState state, ByteBuffer batch) {
    int count = 0;
    for (RecordBatch b : MemoryRecords.readableRecords(batch.duplicate()).batches()) {
      count += (int) (b.lastOffset() - b.baseOffset() + 1);
    }
    for (var b : MemoryRecords.readableRecords(batch).batches()) {
      b.setLastOffset(state.logEndOffset() + count - 1);
    }
    byte[] records = Arrays.copyOfRange(batch.array(), batch.arrayOffset(), batch.arrayOffset() + batch.limit());
    return state.apply(new RecordsAppended(state.logEndOffset(), state.logEndOffset() + count - 1, records), LIMITS);
  }

  @Test
  void when_keyedRecordsAreAppended_then_eachKeyHasItsVersionAndOffsets() {
    PartitionState state = append(PartitionState.EMPTY, batch(0, Compression.NONE, "a", "b", null, "a"));
    state = append(state, batch(0, Compression.gzip().build(), "a", "c"));
    assertEquals(new KeyIndex.Entry(3, new long[] {0, 3, 4}, true), state.keyIndex().entry(key("a")).orElseThrow());
    assertEquals(new KeyIndex.Entry(1, new long[] {1}, true), state.keyIndex().entry(key("b")).orElseThrow());
    assertEquals(new KeyIndex.Entry(1, new long[] {5}, true), state.keyIndex().entry(key("c")).orElseThrow());
    assertEquals(3, state.keyIndex().size(), "the keyless record is not indexed");
  }

  @Test
  void when_aKeyHasMoreRecordsThanTheLimit_then_itsNewestAreKeptAndItIsIncomplete() {
    PartitionState state = append(PartitionState.EMPTY, batch(0, Compression.NONE, "a", "a", "a", "a", "a", "a"));
    KeyIndex.Entry entry = state.keyIndex().entry(key("a")).orElseThrow();
    assertEquals(6, entry.version());
    assertArrayEquals(new long[] {2, 3, 4, 5}, entry.offsets());
    assertFalse(entry.complete(), "two records of the key are not tracked");
  }

  @Test
  void when_theIndexHoldsMaxKeys_then_itTakesNoNewKeyAndSaysItOverflowed() {
    PartitionState state = append(PartitionState.EMPTY, batch(0, Compression.NONE, "a", "b", "c", "d", "a"));
    assertEquals(3, state.keyIndex().size());
    assertTrue(state.keyIndex().overflowed());
    assertTrue(state.keyIndex().entry(key("d")).isEmpty());
    assertEquals(2, state.keyIndex().entry(key("a")).orElseThrow().version(), "known keys are still tracked");
  }

  @Test
  void when_theLogStartMovesPastAKeysRecords_then_theKeyLeavesTheIndex() {
    PartitionState state = append(PartitionState.EMPTY, batch(0, Compression.NONE, "a", "b", "a"));
    state = state.apply(new LogStartOffsetAdvanced(2), LIMITS);
    assertTrue(state.keyIndex().entry(key("b")).isEmpty(), "b's only record is gone");
    assertEquals(new KeyIndex.Entry(2, new long[] {2}, true), state.keyIndex().entry(key("a")).orElseThrow());
  }

  @Test
  void when_compactionKeepsTheNewestRecordPerKey_then_onlyItsOffsetsStayAndVersionsDoNot() {
    PartitionState state = append(PartitionState.EMPTY, batch(0, Compression.NONE, "a", "b", "a"));
    state = append(state, batch(0, Compression.NONE, "b"));
    // Of offsets 0..2 only a@2 survives: b has a newer record at 3.
    ByteBuffer survivors = batch(2, Compression.NONE, "a");
    byte[] records = Arrays.copyOf(survivors.array(), survivors.limit());
    state = state.apply(new RecordsCompacted(0, 2, records), LIMITS);
    assertEquals(new KeyIndex.Entry(2, new long[] {2}, true), state.keyIndex().entry(key("a")).orElseThrow());
    assertEquals(new KeyIndex.Entry(2, new long[] {3}, true), state.keyIndex().entry(key("b")).orElseThrow());
  }

  @Test
  void when_aControlBatchIsAppended_then_itTakesAnOffsetButIsNotIndexed() {
    ByteBuffer marker = MemoryRecords.withEndTransactionMarker(0, 1_000L, 0, 7L, (short) 0,
        new EndTransactionMarker(ControlRecordType.COMMIT, 0)).buffer();
    PartitionState state = append(PartitionState.EMPTY, marker);
    state = append(state, batch(0, Compression.NONE, "a"));
    assertEquals(new KeyIndex.Entry(1, new long[] {1}, true), state.keyIndex().entry(key("a")).orElseThrow());
    assertEquals(1, state.keyIndex().size());
  }

  @Test
  void when_batchesAreIndexedBeforeTheirOffsetsAreAssigned_then_theyGetTheOffsetsTheLogWillGiveThem() {
    ByteBuffer two = ByteBuffer.allocate(1024);
    two.put(batch(0, Compression.NONE, "a", "b")).put(batch(0, Compression.NONE, "a")).flip();
    KeyIndex keys = KeyIndex.EMPTY.appended(two, 10, LIMITS);
    assertArrayEquals(new long[] {10, 12}, keys.entry(key("a")).orElseThrow().offsets());
    assertArrayEquals(new long[] {11}, keys.entry(key("b")).orElseThrow().offsets());
  }

  @Test
  void when_zeroKeysAreAllowed_then_theIndexIsOffAndDropsWhatItHeld() {
    KeyIndex held = KeyIndex.EMPTY.appended(batch(0, Compression.NONE, "a"), 0, LIMITS);
    KeyIndex keys = held.appended(batch(0, Compression.NONE, (String) null), 1, new KeyIndex.Limits(0, 4));
    assertTrue(keys.overflowed(), "reads scan and keyed conditions are refused");
    assertEquals(0, keys.size());
    assertEquals(List.of(), keys.entries());
  }
}
