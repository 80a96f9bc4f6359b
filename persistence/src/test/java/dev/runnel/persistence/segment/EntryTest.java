package dev.runnel.persistence.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class EntryTest {

  static Entry entry(long sequenceNr, boolean ends, String payload) {
    return new Entry(sequenceNr, ends, 1_700_000_000_000L + sequenceNr, 42, "m", "adapter", "writer-ü",
        ByteBuffer.wrap(payload.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void when_anEntryIsFramed_then_itDecodesToTheSameFieldsAndItsLengthAndCrcHold() {
    Entry entry = entry(7, true, "hello");
    ByteBuffer frame = ByteBuffer.allocate(entry.frameBytes());
    entry.writeTo(frame);
    assertFalse(frame.hasRemaining(), "frameBytes() is what writeTo writes");
    int bodyLength = frame.getInt(0);
    assertEquals(entry.frameBytes() - Entry.HEADER_BYTES, bodyLength);
    assertTrue(Entry.crcMatches(frame, Entry.HEADER_BYTES, bodyLength, frame.getInt(4)));
    Entry decoded = Entry.decode(frame, Entry.HEADER_BYTES, bodyLength);
    assertEquals(7, decoded.sequenceNr());
    assertTrue(decoded.endsAtomicWrite());
    assertEquals(entry.timestamp(), decoded.timestamp());
    assertEquals(42, decoded.serializerId());
    assertEquals("m", decoded.serializerManifest());
    assertEquals("adapter", decoded.adapterManifest());
    assertEquals("writer-ü", decoded.writerUuid());
    byte[] payload = new byte[decoded.payload().remaining()];
    decoded.payload().duplicate().get(payload);
    assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), payload);
  }

  @Test
  void when_anyByteOfTheBodyFlips_then_theCrcNoLongerMatches() {
    Entry entry = entry(1, true, "some payload bytes");
    ByteBuffer frame = ByteBuffer.allocate(entry.frameBytes());
    entry.writeTo(frame);
    int bodyLength = frame.getInt(0);
    for (int i = Entry.HEADER_BYTES; i < frame.capacity(); i++) {
      frame.put(i, (byte) (frame.get(i) ^ 0x10));
      assertFalse(Entry.crcMatches(frame, Entry.HEADER_BYTES, bodyLength, frame.getInt(4)), "flip at " + i);
      frame.put(i, (byte) (frame.get(i) ^ 0x10));
    }
  }

  @Test
  void when_anAtomicWriteIsEncoded_then_offsetsPointAtEachFrameAndOnlyTheLastEndsIt() {
    EncodedWrite write = EncodedWrite.of(List.of(entry(3, false, "a"), entry(4, false, "bb"), entry(5, true, "ccc")));
    assertArrayEquals(new long[] {3, 4, 5}, write.sequenceNrs());
    ByteBuffer frames = write.frames();
    for (int i = 0; i < 3; i++) {
      int at = write.offsets()[i];
      assertEquals(3 + i, Entry.sequenceNrAt(frames, at + Entry.HEADER_BYTES));
      assertEquals(i == 2, Entry.endsAtomicWriteAt(frames, at + Entry.HEADER_BYTES));
    }
  }

  @Test
  void when_aSparseIndexIsAskedForASequenceNumber_then_itGivesTheLastIndexedPositionAtOrBeforeIt() {
    SparseIndex index = new SparseIndex();
    assertEquals(0, index.floorPosition(5), "an empty index starts at the file's start");
    for (int i = 0; i < 100; i++) {
      index.add(10 + i * 10, i * 4096L);
    }
    assertEquals(0, index.floorPosition(3), "before the first indexed entry: the file's start");
    assertEquals(0, index.floorPosition(10));
    assertEquals(0, index.floorPosition(19));
    assertEquals(4096, index.floorPosition(20));
    assertEquals(99 * 4096L, index.floorPosition(Long.MAX_VALUE));
  }
}
