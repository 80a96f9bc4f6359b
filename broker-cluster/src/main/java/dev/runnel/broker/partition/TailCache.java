package dev.runnel.broker.partition;

import dev.runnel.persistence.PartitionEvent.Records;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The newest events of a partition, kept in memory up to a byte limit of its own and within the node's
 * {@link TailCacheBudget}, so that tail fetches (nearly all consumer fetches) never touch the journal. Keyed by
 * journal sequence number; the oldest added is evicted first, by this cache's limit or by the budget when other
 * partitions were used more recently. Events without records (retention, compaction bookkeeping) leave gaps in the
 * numbers, and an event the offset index no longer refers to (compacted or retained away) is simply never asked
 * for again until it is evicted.
 *
 * <p>Used by its partition entity; the budget evicts from it on other partitions' threads, so every access holds
 * the budget's monitor.
 */
final class TailCache {

  private final long maxBytes;
  private final TailCacheBudget budget;
  private final LinkedHashMap<Long, Records> events = new LinkedHashMap<>();
  private long bytes;

  TailCache(long maxBytes, TailCacheBudget budget) {
    this.maxBytes = maxBytes;
    this.budget = budget;
  }

  /**
   * Adds the event the journal stored with {@code sequenceNr}, evicting the oldest beyond this cache's limit, and
   * other partitions' least recently used events beyond the node's budget.
   */
  void add(long sequenceNr, Records event) {
    synchronized (budget) {
      long before = bytes;
      Records previous = events.put(sequenceNr, event);
      if (previous != null) {
        bytes -= previous.records().length;
      }
      bytes += event.records().length;
      evictOldest(bytes - maxBytes);
      budget.changed(this, bytes - before);
    }
  }

  /** The event stored with {@code sequenceNr}, or null when it is not cached. */
  Records get(long sequenceNr) {
    synchronized (budget) {
      Records event = events.get(sequenceNr);
      if (event != null) {
        budget.touched(this);
      }
      return event;
    }
  }

  /** Empties the cache, giving its bytes back to the budget (the partition was deleted or stops). */
  void clear() {
    synchronized (budget) {
      long before = bytes;
      events.clear();
      bytes = 0;
      budget.changed(this, -before);
    }
  }

  /** Bytes held. Call holding the budget's monitor. */
  long bytes() {
    return bytes;
  }

  /** Evicts the oldest events until at least {@code atLeast} bytes are freed or none is left; returns the bytes. */
  long evictOldest(long atLeast) {
    long freed = 0;
    Iterator<Map.Entry<Long, Records>> oldest = events.entrySet().iterator();
    while (freed < atLeast && oldest.hasNext()) {
      freed += oldest.next().getValue().records().length;
      oldest.remove();
    }
    bytes -= freed;
    return freed;
  }
}
