package dev.runnel.persistence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The map from log offsets to the journal events that hold them, ordered by offset. Journal sequence numbers are
 * not offsets, so a fetch from any offset looks its event up here instead of scanning the journal.
 *
 * <p>Immutable as seen by its users: every update returns a new index. Appends are amortised O(1): versions share
 * one append-only array and a version only ever reads the slots below its own size, which are written once and
 * never again; an append to a version that is not the newest copies. So the entity state holding an index can be
 * snapshotted on another thread while the entity goes on appending.
 */
public final class OffsetIndex {

  private static final OffsetIndex EMPTY = new OffsetIndex(new Slots(new IndexEntry[16]), 0);

  /** The shared, append-only storage; {@code claimed} counts the slots some version has written. */
  private static final class Slots {
    final IndexEntry[] entries;
    int claimed;

    Slots(IndexEntry[] entries) {
      this.entries = entries;
    }
  }

  private final Slots slots;
  private final int size;

  private OffsetIndex(Slots slots, int size) {
    this.slots = slots;
    this.size = size;
  }

  public static OffsetIndex empty() {
    return EMPTY;
  }

  public static OffsetIndex of(List<IndexEntry> entries) {
    Slots slots = new Slots(entries.toArray(new IndexEntry[Math.max(16, entries.size() * 2)]));
    slots.claimed = entries.size();
    OffsetIndex index = new OffsetIndex(slots, entries.size());
    for (int i = 1; i < entries.size(); i++) {
      checkFollows(entries.get(i - 1), entries.get(i));
    }
    return index;
  }

  private static void checkFollows(IndexEntry previous, IndexEntry next) {
    if (next.baseOffset() <= previous.lastOffset()) {
      throw new IllegalArgumentException("index entry " + next + " does not follow " + previous);
    }
  }

  public OffsetIndex appended(IndexEntry entry) {
    if (size > 0) {
      checkFollows(get(size - 1), entry);
    }
    synchronized (slots) {
      if (slots.claimed == size && size < slots.entries.length) {
        slots.entries[size] = entry;
        slots.claimed++;
        return new OffsetIndex(slots, size + 1);
      }
    }
    Slots copy = new Slots(Arrays.copyOf(slots.entries, Math.max(16, size * 2)));
    copy.entries[size] = entry;
    copy.claimed = size + 1;
    return new OffsetIndex(copy, size + 1);
  }

  /** This index without the entries whose offsets all lie below {@code offset}. */
  public OffsetIndex truncatedBefore(long offset) {
    int from = positionFor(offset);
    return from == 0 ? this : of(toList().subList(from, size));
  }

  /**
   * This index with the entries at positions {@code from} (inclusive) to {@code to} (exclusive) replaced by
   * {@code replacement}, or just removed when it is null. The replacement must lie between its neighbours.
   */
  public OffsetIndex replaced(int from, int to, IndexEntry replacement) {
    List<IndexEntry> entries = new ArrayList<>(toList().subList(0, from));
    if (replacement != null) {
      entries.add(replacement);
    }
    entries.addAll(toList().subList(to, size));
    return of(entries);
  }

  /**
   * The lowest journal sequence number an entry refers to, or {@code Long.MAX_VALUE} when there are none. Every
   * journal event below it holds nothing the log still serves. After compaction, entries are not in sequence
   * number order (a compacted event holds low offsets at a high sequence number), hence the scan.
   */
  public long minSequenceNr() {
    long min = Long.MAX_VALUE;
    for (int i = 0; i < size; i++) {
      min = Math.min(min, slots.entries[i].sequenceNr());
    }
    return min;
  }

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  public IndexEntry get(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException(i);
    }
    return slots.entries[i];
  }

  public IndexEntry last() {
    return get(size - 1);
  }

  /**
   * Position of the first entry whose last offset is at or after {@code offset}, that is the event to start a
   * fetch from; {@link #size()} when every entry lies before it.
   */
  public int positionFor(long offset) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (slots.entries[mid].lastOffset() < offset) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * Position of the first entry holding a record with a timestamp at or after {@code timestamp}; {@link #size()}
   * when there is none. Record timestamps need not grow with offsets, so this scans.
   */
  public int positionForTimestamp(long timestamp) {
    for (int i = 0; i < size; i++) {
      if (slots.entries[i].maxTimestamp() >= timestamp) {
        return i;
      }
    }
    return size;
  }

  public List<IndexEntry> toList() {
    return List.of(Arrays.copyOf(slots.entries, size));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OffsetIndex other && toList().equals(other.toList());
  }

  @Override
  public int hashCode() {
    return toList().hashCode();
  }

  @Override
  public String toString() {
    return "OffsetIndex[" + size + " entries]";
  }
}
