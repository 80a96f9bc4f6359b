package dev.runnel.broker.partition;

import dev.runnel.persistence.PartitionEvent.Records;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The newest events of a partition, kept in memory up to a byte budget, so that tail fetches (nearly all consumer
 * fetches) never touch the journal. Keyed by journal sequence number; the oldest added is evicted first. Events
 * without records (retention, compaction bookkeeping) leave gaps in the numbers, and an event the offset index no
 * longer refers to (compacted or retained away) is simply never asked for again until it is evicted.
 *
 * <p>This class is not thread-safe: it belongs to its partition entity.
 */
final class TailCache {

  private final long maxBytes;
  private final LinkedHashMap<Long, Records> events = new LinkedHashMap<>();
  private long bytes;

  TailCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Adds the event the journal stored with {@code sequenceNr}, evicting the oldest beyond the budget. */
  void add(long sequenceNr, Records event) {
    Records previous = events.put(sequenceNr, event);
    if (previous != null) {
      bytes -= previous.records().length;
    }
    bytes += event.records().length;
    Iterator<Map.Entry<Long, Records>> oldest = events.entrySet().iterator();
    while (bytes > maxBytes && oldest.hasNext()) {
      bytes -= oldest.next().getValue().records().length;
      oldest.remove();
    }
  }

  /** The event stored with {@code sequenceNr}, or null when it is not cached. */
  Records get(long sequenceNr) {
    return events.get(sequenceNr);
  }

  void clear() {
    events.clear();
    bytes = 0;
  }
}
