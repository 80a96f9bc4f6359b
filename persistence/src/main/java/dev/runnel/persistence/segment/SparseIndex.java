package dev.runnel.persistence.segment;

import java.util.Arrays;

/**
 * A segment's sparse index: some of its entries' sequence numbers with their file positions, in increasing order,
 * so a read starts near its first entry instead of at the start of the file (Kafka's offset index, kept in memory
 * and rebuilt when a segment is opened).
 *
 * <p>Thread-safe: the writer adds while readers look up.
 */
final class SparseIndex {

  private long[] sequenceNrs = new long[16];
  private long[] positions = new long[16];
  private int size;

  synchronized void add(long sequenceNr, long position) {
    if (size == sequenceNrs.length) {
      sequenceNrs = Arrays.copyOf(sequenceNrs, size * 2);
      positions = Arrays.copyOf(positions, size * 2);
    }
    sequenceNrs[size] = sequenceNr;
    positions[size] = position;
    size++;
  }

  /** The position of the last indexed entry whose sequence number is at most {@code sequenceNr}, else 0. */
  synchronized long floorPosition(long sequenceNr) {
    int i = Arrays.binarySearch(sequenceNrs, 0, size, sequenceNr);
    if (i >= 0) {
      return positions[i];
    }
    int insertion = -i - 1;
    return insertion == 0 ? 0 : positions[insertion - 1];
  }

  synchronized int size() {
    return size;
  }
}
