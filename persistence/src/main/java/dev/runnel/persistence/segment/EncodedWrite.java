package dev.runnel.persistence.segment;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One atomic write, framed: the frames of its entries back to back, ready for the writer to hand to the OS as they
 * are. Built on the caller's thread, so serialization and CRCs never run on the writer thread.
 *
 * @param sequenceNrs the entries' sequence numbers, increasing
 * @param offsets where each entry's frame starts in {@code frames}
 * @param frames the frames; never changed after construction
 */
public record EncodedWrite(long[] sequenceNrs, int[] offsets, ByteBuffer frames) {

  /** Frames {@code entries} (in order; the last one must end the atomic write) into one buffer. */
  public static EncodedWrite of(List<Entry> entries) {
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("an atomic write of no entries");
    }
    int total = 0;
    int[] sizes = new int[entries.size()];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = entries.get(i).frameBytes();
      total = Math.addExact(total, sizes[i]);
    }
    ByteBuffer frames = ByteBuffer.allocate(total);
    long[] sequenceNrs = new long[sizes.length];
    int[] offsets = new int[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      Entry entry = entries.get(i);
      if (i > 0 && entry.sequenceNr() <= sequenceNrs[i - 1]) {
        throw new IllegalArgumentException("sequence number " + entry.sequenceNr() + " after " + sequenceNrs[i - 1]);
      }
      if (entry.endsAtomicWrite() != (i == sizes.length - 1)) {
        throw new IllegalArgumentException("only the last entry of an atomic write ends it");
      }
      sequenceNrs[i] = entry.sequenceNr();
      offsets[i] = frames.position();
      entry.writeTo(frames);
    }
    return new EncodedWrite(sequenceNrs, offsets, frames.flip());
  }

  long firstSequenceNr() {
    return sequenceNrs[0];
  }

  long lastSequenceNr() {
    return sequenceNrs[sequenceNrs.length - 1];
  }

  int bytes() {
    return frames.remaining();
  }
}
