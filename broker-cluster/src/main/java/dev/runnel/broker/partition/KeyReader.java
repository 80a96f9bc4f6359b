package dev.runnel.broker.partition;

import dev.runnel.persistence.IndexEntry;
import dev.runnel.persistence.KeyIndex;
import dev.runnel.persistence.OffsetIndex;
import dev.runnel.persistence.PartitionEvent.Records;
import dev.runnel.persistence.PartitionState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * Reads one key's records (one event-sourced stream) through the partition's {@link KeyIndex}: only the journal
 * events that hold the key's indexed offsets are read, by sequence number, so the read costs one event per stored
 * write of the key instead of a scan of the partition. Where the index does not know every record of the key (more
 * records than it keeps per key, or a key it had no room for), the range it does not cover is scanned, event by
 * event, within the byte bound.
 *
 * <p>The work is split as the partition needs it: {@link #plan} runs in the actor and picks the events; reading them
 * (tail cache or journal) is the actor's; {@link #collect} runs on any thread and filters their records. Key reads
 * see every record below the high watermark (read_uncommitted). Stateless and thread-safe.
 */
final class KeyReader {

  private KeyReader() {}

  /**
   * Which events a read needs.
   *
   * @param key the key read
   * @param fromOffset the first offset wanted
   * @param toOffset the offsets read stop before this one (where the next read continues)
   * @param events the index entries of the events to read, in offset order
   * @param endOfKey whether the key has no records from {@code toOffset} on
   * @param version the key's version
   */
  record Plan(KeyIndex.Key key, long fromOffset, long toOffset, List<IndexEntry> events, boolean endOfKey,
      long version) {}

  /** The events to read for the key's records from {@code fromOffset}, at most {@code maxBytes} of them (one at least). */
  static Plan plan(PartitionState state, byte[] keyBytes, long fromOffset, int maxBytes) {
    KeyIndex.Key key = new KeyIndex.Key(keyBytes);
    long from = Math.max(fromOffset, state.logStartOffset());
    Optional<KeyIndex.Entry> found = state.keyIndex().entry(key);
    long version = found.map(KeyIndex.Entry::version).orElse(0L);
    if (found.isEmpty() && !state.keyIndex().overflowed()) {
      return new Plan(key, from, state.logEndOffset(), List.of(), true, 0);
    }
    OffsetIndex index = state.index();
    List<IndexEntry> events = new ArrayList<>();
    long bytes = 0;
    // The range the index does not cover: below the oldest offset it keeps for the key, or all of an unknown key.
    long scanEnd = found.map(entry -> entry.complete() ? -1 : entry.offsets()[0]).orElse(state.logEndOffset());
    for (int i = scanEnd > from ? index.positionFor(from) : index.size();
        i < index.size() && index.get(i).baseOffset() < scanEnd; i++) {
      IndexEntry event = index.get(i);
      if (!events.isEmpty() && bytes + event.sizeInBytes() > maxBytes) {
        return new Plan(key, from, event.baseOffset(), events, false, version);
      }
      events.add(event);
      bytes += event.sizeInBytes();
    }
    long end = found.map(entry -> entry.latestOffset() + 1).orElse(state.logEndOffset());
    if (found.isPresent()) {
      for (long offset : found.get().offsets()) {
        if (offset < Math.max(from, scanEnd)) {
          continue;
        }
        int position = index.positionFor(offset);
        if (position >= index.size()) {
          break;
        }
        IndexEntry event = index.get(position);
        if (!events.isEmpty() && events.get(events.size() - 1).equals(event)) {
          continue;
        }
        if (!events.isEmpty() && bytes + event.sizeInBytes() > maxBytes) {
          return new Plan(key, from, offset, events, false, version);
        }
        events.add(event);
        bytes += event.sizeInBytes();
      }
    }
    return new Plan(key, from, Math.max(end, from), events, true, version);
  }

  /** The answer to {@code plan} from its events (in the plan's order): the key's records in its range. */
  static KeyReadResult collect(Plan plan, List<Records> events) {
    MemoryRecordsBuilder builder = null;
    for (Records event : events) {
      for (MutableRecordBatch batch : event.memoryRecords().batches()) {
        if (batch.isControlBatch() || batch.lastOffset() < plan.fromOffset()
            || batch.baseOffset() >= plan.toOffset()) {
          continue;
        }
        for (Record record : batch) {
          if (record.offset() < plan.fromOffset() || record.offset() >= plan.toOffset() || !record.hasKey()
              || !matches(record.key(), plan.key().bytes())) {
            continue;
          }
          if (builder == null) {
            builder = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, record.offset());
          }
          builder.appendWithOffset(record.offset(), record.timestamp(), record.key(), record.value(),
              record.headers());
        }
      }
    }
    ByteBuffer records = builder == null ? ByteBuffer.allocate(0) : builder.build().buffer();
    return KeyReadResult.of(records, plan.toOffset(), plan.endOfKey(), plan.version(), events.size());
  }

  private static boolean matches(ByteBuffer key, byte[] wanted) {
    if (key.remaining() != wanted.length) {
      return false;
    }
    byte[] bytes = new byte[wanted.length];
    key.duplicate().get(bytes);
    return Arrays.equals(bytes, wanted);
  }
}
