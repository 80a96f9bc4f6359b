package dev.runnel.persistence.segment;

import java.util.ArrayList;
import java.util.List;

/**
 * The entries one read has gathered and the limits it stops at: a budget of payload bytes (the first entry is always
 * taken, so a read makes progress past an entry larger than the budget) and a count. Not thread-safe; one per read.
 */
final class ReadCursor {

  private final long maxBytes;
  private final long maxEntries;
  private final List<Entry> entries = new ArrayList<>();
  private long bytes;
  private boolean done;

  ReadCursor(long maxBytes, long maxEntries) {
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
  }

  boolean fits(int payloadBytes) {
    if (!entries.isEmpty() && bytes + payloadBytes > maxBytes) {
      done = true;
      return false;
    }
    return true;
  }

  void add(Entry entry, int payloadBytes) {
    entries.add(entry);
    bytes += payloadBytes;
    if (entries.size() >= maxEntries || bytes >= maxBytes) {
      done = true;
    }
  }

  void reachedEnd() {
    done = true;
  }

  boolean full() {
    return done;
  }

  long remainingBytes() {
    return Math.max(0, maxBytes - bytes);
  }

  List<Entry> entries() {
    return entries;
  }
}
