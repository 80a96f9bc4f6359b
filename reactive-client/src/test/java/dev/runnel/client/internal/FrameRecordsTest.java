package dev.runnel.client.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.runnel.client.ConsumerRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FrameRecordsTest {

  /** Batches of five records each from {@code baseOffset}, values "v<offset>". */
  private static ByteString batch(long baseOffset, Compression compression) {
    SimpleRecord[] records = IntStream.range(0, 5)
        .mapToObj(i -> new SimpleRecord(1_000L + i, ("k" + (baseOffset + i)).getBytes(StandardCharsets.UTF_8),
            ("v" + (baseOffset + i)).getBytes(StandardCharsets.UTF_8)))
        .toArray(SimpleRecord[]::new);
    return ByteString.fromByteBuffer(MemoryRecords.withRecords(baseOffset, compression, records).buffer());
  }

  private static ByteString commitMarker(long offset) {
    return ByteString.fromByteBuffer(MemoryRecords.withEndTransactionMarker(offset, 7L, (short) 0,
        new EndTransactionMarker(ControlRecordType.COMMIT, 0)).buffer());
  }

  private static List<Long> offsets(FrameRecords frame) {
    List<Long> offsets = new ArrayList<>();
    for (ConsumerRecord record = frame.next(); record != null; record = frame.next()) {
      offsets.add(record.offset());
      assertEquals("v" + record.offset(), new String(record.value(), StandardCharsets.UTF_8));
      assertEquals("k" + record.offset(), new String(record.key(), StandardCharsets.UTF_8));
    }
    return offsets;
  }

  @Test
  void when_batchesArriveInPiecesThatCutThem_then_everyRecordIsReadInOrder() {
    ByteString batches = batch(0, Compression.NONE).concat(batch(5, Compression.gzip().build()))
        .concat(batch(10, Compression.NONE));
    FrameRecords frame = new FrameRecords("orders", 3, Pieces.of(batches, 7), 0);
    assertEquals(15, frame.nextToReceive());
    assertEquals(IntStream.range(0, 15).mapToObj(i -> (long) i).toList(), offsets(frame));
    assertNull(frame.next(), "a frame read to its end stays at its end");
  }

  @Test
  void when_recordsBelowTheOffsetExpectedComeAgain_then_theyAreSkipped() {
    ByteString batches = Pieces.of(batch(0, Compression.NONE).concat(batch(5, Compression.NONE)), 11);
    FrameRecords frame = new FrameRecords("orders", 0, batches, 7);
    assertEquals(10, frame.nextToReceive());
    assertEquals(List.of(7L, 8L, 9L), offsets(frame));

    FrameRecords repeated = new FrameRecords("orders", 0, batches, 10);
    assertEquals(10, repeated.nextToReceive(), "a frame that only repeats leaves the offset expected as it was");
    assertNull(repeated.next());
  }

  @Test
  void when_aControlBatchComes_then_itIsSkippedAndCountsForTheOffsetExpected() {
    FrameRecords frame = new FrameRecords("orders", 0, batch(0, Compression.NONE).concat(commitMarker(5))
        .concat(batch(6, Compression.NONE)), 0);
    assertEquals(11, frame.nextToReceive());
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 6L, 7L, 8L, 9L, 10L), offsets(frame));
  }

  @Test
  void when_theLastBatchIsPartial_then_itIsLeftOutAsKafkasReadersLeaveIt() {
    ByteString whole = batch(0, Compression.NONE).concat(batch(5, Compression.NONE));
    FrameRecords frame = new FrameRecords("orders", 0, Pieces.of(whole.take(whole.size() - 3), 5), 0);
    assertEquals(5, frame.nextToReceive());
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L), offsets(frame));
  }

  @Test
  void when_aBatchLengthIsSmallerThanABatchHeader_then_theFrameIsRefusedAsCorrupt() {
    ByteBuffer corrupt = ByteBuffer.allocate(64);
    corrupt.putLong(0, 0L).putInt(8, 3);
    ByteString whole = batch(0, Compression.NONE);
    CorruptRecordException refused = assertThrows(CorruptRecordException.class,
        () -> new FrameRecords("orders", 0, whole.concat(ByteString.fromByteBuffer(corrupt)), 0));
    assertEquals("record batch at byte " + whole.size()
        + " of a frame has a length of 3 bytes, less than a batch header", refused.getMessage());
  }

  @Test
  void when_aBatchLiesWithinOnePiece_then_itIsReadWithoutACopy() {
    ByteString first = batch(0, Compression.NONE);
    ByteString second = batch(5, Compression.NONE);
    byte[] backing = first.concat(second).toArray();
    ByteString onePiece = ByteString.fromArrayUnsafe(backing);
    List<ByteBuffer> split = FrameRecords.split(onePiece);
    assertEquals(2, split.size());
    assertEquals(first.size(), split.get(0).remaining());
    assertEquals(second.size(), split.get(1).remaining());
    backing[first.size() + second.size() - 1] ^= 1;
    byte[] seen = new byte[split.get(1).remaining()];
    split.get(1).duplicate().get(seen);
    assertArrayEquals(backing, first.concat(ByteString.fromArray(seen)).toArray(),
        "the buffer is a view of the frame's own bytes");
  }

}
