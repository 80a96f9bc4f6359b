package dev.runnel.persistence;

/**
 * Where one journal event of a partition sits in the log: the offsets it holds, the journal sequence number that
 * stores it, its size and the newest record timestamp in it (for retention by time and lookups by timestamp).
 */
public record IndexEntry(long baseOffset, long lastOffset, long sequenceNr, int sizeInBytes, long maxTimestamp) {

  public boolean contains(long offset) {
    return offset >= baseOffset && offset <= lastOffset;
  }
}
