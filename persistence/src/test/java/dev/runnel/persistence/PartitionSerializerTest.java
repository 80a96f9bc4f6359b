package dev.runnel.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.persistence.PartitionEvent.LogCompacted;
import dev.runnel.persistence.PartitionEvent.LogStartOffsetAdvanced;
import dev.runnel.persistence.PartitionEvent.PartitionDeleted;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionEvent.RecordsCompacted;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class PartitionSerializerTest {

  private final PartitionSerializer serializer = new PartitionSerializer();

  static Stream<Object> messages() {
    PartitionState state = PartitionState.of(42, 10, 120, 4096,
        OffsetIndex.of(List.of(new IndexEntry(8, 15, 40, 1000, 1_700_000_000_000L),
            new IndexEntry(20, 119, 41, 3096, 1_700_000_000_500L))),
        List.of(new ProducerStateEntry(7, (short) 1, List.of(new ProducerBatch(0, 4, 119, 1_700_000_000_500L)), 5, 3)),
        false, 16, 1_699_999_000_000L, Map.of(7L, 100L, 8L, 110L),
        List.of(new AbortedTxn(9, 20, 30), new AbortedTxn(7, 31, 40)), KeyIndex.EMPTY);
    KeyIndex keys = KeyIndex.of(List.of(
        Map.entry(new KeyIndex.Key("user-1".getBytes(StandardCharsets.UTF_8)),
            new KeyIndex.Entry(3, new long[] {20, 25, 119}, true)),
        Map.entry(new KeyIndex.Key(new byte[0]), new KeyIndex.Entry(70, new long[] {30}, false))), true);
    PartitionState keyed = PartitionState.of(42, 10, 120, 4096, state.index(), state.producerEntries(), false, 16,
        -1, Map.of(), List.of(), keys);
    return Stream.of(
        new RecordsAppended(0, 2, new byte[] {1, 2, 3}),
        new RecordsCompacted(5, 99, new byte[] {4, 5}),
        new RecordsCompacted(5, 99, new byte[0]),
        new LogCompacted(100, -1),
        new LogCompacted(100, 1_700_000_000_000L),
        new LogStartOffsetAdvanced(77),
        new PartitionDeleted(),
        state,
        keyed,
        PartitionState.EMPTY);
  }

  @ParameterizedTest
  @MethodSource("messages")
  void when_serialized_then_readsBackEqual(Object message) throws Exception {
    byte[] bytes = serializer.toBinary(message);
    assertEquals(message, serializer.fromBinary(bytes, serializer.manifest(message)), "round trip of " + message);
  }

  @ParameterizedTest
  @MethodSource("messages")
  void when_readFromTheMiddleOfALargerDirectBuffer_then_readsBackEqualAndConsumesExactlyItsBytes(Object message)
      throws Exception {
    // As the segment journal hands an event over: a view of the buffer its file region was read into, with other
    // entries' bytes on either side.
    byte[] bytes = serializer.toBinary(message);
    ByteBuffer region = ByteBuffer.allocateDirect(bytes.length + 40);
    byte[] before = new byte[17];
    byte[] after = new byte[23];
    java.util.Arrays.fill(before, (byte) 0x5A);
    java.util.Arrays.fill(after, (byte) 0x5A);
    region.put(before).put(bytes).put(after).flip();
    ByteBuffer view = region.duplicate().position(17).limit(17 + bytes.length);
    assertEquals(message, serializer.fromBinary(view, serializer.manifest(message)), "read from a buffer: " + message);
    assertEquals(17 + bytes.length, view.position(), "the buffer is read to its limit, no further");
    // Pekko hands buffer serializers little-endian buffers (Artery, wrapped payloads).
    ByteBuffer littleEndian = ByteBuffer.wrap(bytes).asReadOnlyBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    assertEquals(message, serializer.fromBinary(littleEndian, serializer.manifest(message)), "little-endian: " + message);
  }

  @Test
  void when_snapshotHasTheFirstFormat_then_itReadsWithCompactionStartingAtTheLogStart() throws Exception {
    PartitionState state = PartitionState.of(3, 5, 9, 100, OffsetIndex.of(List.of(new IndexEntry(5, 8, 3, 100, 1))),
        List.of(), false, 5, -1, Map.of(), List.of(), KeyIndex.EMPTY);
    byte[] current = serializer.toBinary(state);
    // The first format ends before compaction progress (16 bytes), transactions (two empty counts, 8 bytes) and the
    // key index block (an empty one is 9 bytes).
    int cut = 24 + EMPTY_KEY_INDEX_BYTES;
    byte[] firstFormat = ByteBuffer.allocate(current.length - cut).put(current, 0, current.length - cut).array();
    assertEquals(withUnknownKeys(state), serializer.fromBinary(firstFormat, PartitionSerializer.PARTITION_STATE_V1));
  }

  @Test
  void when_snapshotHasTheSecondFormat_then_itReadsWithNoTransactions() throws Exception {
    PartitionState state = PartitionState.of(3, 5, 9, 100, OffsetIndex.of(List.of(new IndexEntry(5, 8, 3, 100, 1))),
        List.of(new ProducerStateEntry(7, (short) 1, List.of(), 5, ProducerStateEntry.NO_COORDINATOR_EPOCH)), false, 7,
        12, Map.of(), List.of(),
        KeyIndex.EMPTY);
    byte[] current = withoutCoordinatorEpoch(serializer.toBinary(state));
    int cut = 8 + EMPTY_KEY_INDEX_BYTES;
    byte[] secondFormat = ByteBuffer.allocate(current.length - cut).put(current, 0, current.length - cut).array();
    assertEquals(withUnknownKeys(state), serializer.fromBinary(secondFormat, PartitionSerializer.PARTITION_STATE_V2));
  }

  @Test
  void when_snapshotHasTheThirdFormat_then_itsKeyIndexIsUnknownForALogWithRecords() throws Exception {
    PartitionState state = PartitionState.of(3, 5, 9, 100, OffsetIndex.of(List.of(new IndexEntry(5, 8, 3, 100, 1))),
        List.of(), false, 7, 12, Map.of(1L, 6L), List.of(new AbortedTxn(2, 5, 6)), KeyIndex.EMPTY);
    byte[] current = serializer.toBinary(state);
    int cut = EMPTY_KEY_INDEX_BYTES;
    byte[] thirdFormat = ByteBuffer.allocate(current.length - cut).put(current, 0, current.length - cut).array();
    PartitionState read = (PartitionState) serializer.fromBinary(thirdFormat, PartitionSerializer.PARTITION_STATE_V3);
    assertEquals(withUnknownKeys(state), read);
    assertTrue(read.keyIndex().overflowed(), "a key index that cannot know the log's keys says so");
  }

  @Test
  void when_snapshotOfAnEmptyLogHasTheThirdFormat_then_itsKeyIndexIsEmpty() throws Exception {
    PartitionState state = PartitionState.of(3, 9, 9, 0, OffsetIndex.empty(), List.of(), false, 9, -1, Map.of(),
        List.of(), KeyIndex.EMPTY);
    byte[] current = serializer.toBinary(state);
    int cut = EMPTY_KEY_INDEX_BYTES;
    byte[] thirdFormat = ByteBuffer.allocate(current.length - cut).put(current, 0, current.length - cut).array();
    assertEquals(state, serializer.fromBinary(thirdFormat, PartitionSerializer.PARTITION_STATE_V3));
  }

  @Test
  void when_snapshotHasTheFourthFormat_then_itsProducersHaveNoCoordinatorEpochYet() throws Exception {
    ProducerBatch batch = new ProducerBatch(0, 0, 8, 1);
    PartitionState state = PartitionState.of(3, 5, 9, 100, OffsetIndex.of(List.of(new IndexEntry(5, 8, 3, 100, 1))),
        List.of(new ProducerStateEntry(7, (short) 1, List.of(batch), 1, 6)), false, 7, 12, Map.of(7L, 8L),
        List.of(), KeyIndex.EMPTY);
    byte[] fourthFormat = withoutCoordinatorEpoch(serializer.toBinary(state));
    PartitionState expected = PartitionState.of(3, 5, 9, 100, state.index(),
        List.of(new ProducerStateEntry(7, (short) 1, List.of(batch), 1, ProducerStateEntry.NO_COORDINATOR_EPOCH)),
        false, 7, 12, Map.of(7L, 8L), List.of(), KeyIndex.EMPTY);
    assertEquals(expected, serializer.fromBinary(fourthFormat, PartitionSerializer.PARTITION_STATE_V4));
  }

  /**
   * A state of one index entry and one producer as formats 1 to 4 wrote it: without the producer's coordinator epoch
   * (4 bytes after its id, epoch and last timestamp), which format 5 added.
   */
  private static byte[] withoutCoordinatorEpoch(byte[] current) {
    int at = 4 * 8 + 1 + 4 + 36 + 4 + 8 + 2 + 8;
    return ByteBuffer.allocate(current.length - 4).put(current, 0, at).put(current, at + 4, current.length - at - 4)
        .array();
  }

  /** The key index block of a state with no keys: marker, overflowed flag, key count. */
  private static final int EMPTY_KEY_INDEX_BYTES = 9;

  private static PartitionState withUnknownKeys(PartitionState state) {
    return PartitionState.of(state.lastSequenceNr(), state.logStartOffset(), state.logEndOffset(),
        state.sizeInBytes(), state.index(), state.producerEntries(), state.deleted(), state.firstDirtyOffset(),
        state.oldestTombstoneTimestamp(), state.ongoingTxns(), state.abortedTxns(), KeyIndex.UNKNOWN);
  }

  @Test
  void when_manifestIsUnknown_then_itIsRefused() {
    assertThrows(NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "X9"));
  }
}
