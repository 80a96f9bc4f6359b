package dev.runnel.broker.partition;

import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The newest events of a partition, kept in memory up to a byte budget, so that tail fetches (nearly all consumer
 * fetches) never touch the journal. Holds a contiguous run of journal sequence numbers ending at the newest event.
 *
 * <p>This class is not thread-safe: it belongs to its partition entity.
 */
final class TailCache {

  private final long maxBytes;
  private final LinkedHashMap<Long, RecordsAppended> events = new LinkedHashMap<>();
  private long nextSequenceNr = -1;
  private long bytes;

  TailCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Adds the event the journal stored with {@code sequenceNr}, evicting the oldest beyond the budget. */
  void add(long sequenceNr, RecordsAppended event) {
    if (sequenceNr != nextSequenceNr) {
      clear();
    }
    events.put(sequenceNr, event);
    nextSequenceNr = sequenceNr + 1;
    bytes += event.records().length;
    Iterator<Map.Entry<Long, RecordsAppended>> oldest = events.entrySet().iterator();
    while (bytes > maxBytes && oldest.hasNext()) {
      bytes -= oldest.next().getValue().records().length;
      oldest.remove();
    }
  }

  /** The event stored with {@code sequenceNr}, or null when it is not cached. */
  RecordsAppended get(long sequenceNr) {
    return events.get(sequenceNr);
  }

  void clear() {
    events.clear();
    bytes = 0;
    nextSequenceNr = -1;
  }
}
