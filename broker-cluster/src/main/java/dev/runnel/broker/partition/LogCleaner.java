package dev.runnel.broker.partition;

import dev.runnel.broker.topic.TopicConfig;
import dev.runnel.persistence.AbortedTxn;
import dev.runnel.persistence.IndexEntry;
import dev.runnel.persistence.OffsetIndex;
import dev.runnel.persistence.PartitionEvent.LogCompacted;
import dev.runnel.persistence.PartitionEvent.Records;
import dev.runnel.persistence.PartitionEvent.RecordsCompacted;
import dev.runnel.persistence.PartitionState;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * The partition's retention and compaction decisions as pure functions of its state, its topic's configuration and
 * the time; nothing here touches the actor or the journal.
 *
 * <p><b>Unit of deletion.</b> Retention drops whole index entries, that is whole journal writes: one producer
 * batch each, unless group commit gathered several appends into one write. So {@code retention.bytes} keeps a
 * partition within one journal write of its limit.
 *
 * <p><b>Compaction</b> follows Kafka's cleaner: over the cleanable part of the log (from the log start up to, but
 * not including, the newest journal write and anything younger than {@code min.compaction.lag.ms}) it keeps the
 * newest record of each key and drops the older ones; a tombstone (null value) that is the newest of its key is
 * kept until it is older than {@code delete.retention.ms} by its timestamp, then dropped too. Kept records keep
 * their offsets: a batch that loses records is rebuilt with its original base and last offsets. Records without a
 * key (written before the topic became compacted; a compacted topic refuses them) are kept. The key map of a run holds
 * one entry per distinct key of the cleanable range, and the range's records are held in memory during the run.
 *
 * <p><b>Transactions</b>, as Kafka's cleaner treats them: the cleanable range ends below the last stable offset,
 * so an ongoing transaction is never cleaned; the records of aborted transactions are removed (and never count as
 * the newest of their key); committed transactional records are compacted like others, their batches keeping the
 * transactional flag. Transaction markers (control batches) are kept as they are: a read_committed consumer
 * needs the abort marker to end an aborted range, and keeping every marker is always safe (Kafka drops them once
 * {@code delete.retention.ms} has passed and no data of theirs is left; here only retention removes them).
 */
final class LogCleaner {

  private LogCleaner() {}

  /**
   * Where retention moves the log start: past the oldest entries whose newest timestamp is more than
   * {@code retention.ms} before {@code now}, and past the oldest entries as long as what stays is at least
   * {@code retention.bytes} (Kafka's rule: the log stays within one unit of its limit, above it). Empty when
   * nothing is out or the topic's cleanup policy has no {@code delete}.
   */
  static OptionalLong retentionStart(PartitionState state, TopicConfig config, long now) {
    if (!config.delete() || state.deleted()) {
      return OptionalLong.empty();
    }
    OffsetIndex index = state.index();
    int drop = 0;
    if (config.retentionMs() >= 0) {
      // A write whose records carry no timestamp (-1) has no age: time retention stops there. (Kafka falls back
      // to the segment file's modification time, which a journal event does not have.)
      while (drop < index.size() && index.get(drop).maxTimestamp() >= 0
          && now - index.get(drop).maxTimestamp() > config.retentionMs()) {
        drop++;
      }
    }
    if (config.retentionBytes() >= 0) {
      long remaining = state.sizeInBytes();
      for (int i = 0; i < drop; i++) {
        remaining -= index.get(i).sizeInBytes();
      }
      while (drop < index.size() && remaining - index.get(drop).sizeInBytes() >= config.retentionBytes()) {
        remaining -= index.get(drop).sizeInBytes();
        drop++;
      }
    }
    if (drop == 0) {
      return OptionalLong.empty();
    }
    long start = drop == index.size() ? state.logEndOffset() : index.get(drop).baseOffset();
    return start > state.logStartOffset() ? OptionalLong.of(start) : OptionalLong.empty();
  }

  /**
   * A compaction run to do: the index entries of the cleanable range as they are now, and the log start the run
   * filters against. The entity persists the run's result only if the range is still exactly these entries.
   */
  record Plan(long logStartOffset, List<IndexEntry> entries, long deleteRetentionMs, List<AbortedTxn> aborted) {

    /** The offset after the cleanable range: the run's first dirty offset. */
    long endOffset() {
      return entries.get(entries.size() - 1).lastOffset() + 1;
    }
  }

  /**
   * The compaction run that is due, if any: when the topic is compacted and either the data that became cleanable
   * since the last run is enough for a run (see {@link #dirtyEnough}), or a tombstone the last run kept has outlived
   * {@code delete.retention.ms}.
   */
  static Optional<Plan> plan(PartitionState state, TopicConfig config, long now) {
    if (!config.compact() || state.deleted()) {
      return Optional.empty();
    }
    OffsetIndex index = state.index();
    // The newest journal write is never compacted (Kafka's active segment): every offset below the log end then
    // has a kept entry at or after it, so a fetch from inside a compacted gap always finds the next record.
    int end = 0;
    long stable = state.lastStableOffset();
    while (end < index.size() - 1 && now - index.get(end).maxTimestamp() >= config.minCompactionLagMs()
        && index.get(end).lastOffset() < stable) {
      end++;
    }
    if (end == 0) {
      return Optional.empty();
    }
    List<IndexEntry> entries = index.toList().subList(0, end);
    boolean newData = dirtyEnough(entries, state.firstDirtyOffset(), config, now);
    boolean tombstonesDue = state.oldestTombstoneTimestamp() >= 0
        && now - state.oldestTombstoneTimestamp() > config.deleteRetentionMs();
    if (!newData && !tombstonesDue) {
      return Optional.empty();
    }
    return Optional.of(new Plan(state.logStartOffset(), List.copyOf(entries), config.deleteRetentionMs(),
        state.abortedTxns()));
  }

  /**
   * Kafka's rule for when a cleanable range is worth a run: its dirty (not yet compacted) bytes are at least
   * {@code min.cleanable.dirty.ratio} of it, or its oldest dirty write is older than {@code max.compaction.lag.ms}.
   */
  private static boolean dirtyEnough(List<IndexEntry> cleanable, long firstDirtyOffset, TopicConfig config, long now) {
    long totalBytes = 0;
    long dirtyBytes = 0;
    long oldestDirtyTimestamp = -1;
    for (IndexEntry entry : cleanable) {
      totalBytes += entry.sizeInBytes();
      if (entry.lastOffset() >= firstDirtyOffset) {
        dirtyBytes += entry.sizeInBytes();
        if (oldestDirtyTimestamp < 0) {
          oldestDirtyTimestamp = entry.maxTimestamp();
        }
      }
    }
    if (dirtyBytes == 0) {
      return false;
    }
    boolean overdue = oldestDirtyTimestamp >= 0 && now - oldestDirtyTimestamp > config.maxCompactionLagMs();
    return overdue || (double) dirtyBytes / totalBytes >= config.minCleanableDirtyRatio();
  }

  /** What a compaction run persists: the replacements of the ranges that lost records, then its completion. */
  record Result(List<RecordsCompacted> replacements, LogCompacted completion) {}

  /**
   * Compacts the planned range. {@code events} are the journal events of the plan's entries, in the same order.
   * Consecutive entries are grouped into replacements of at most {@code maxEventBytes} of input each; a group that
   * loses no record is left as it is. Runs on any thread.
   */
  static Result compact(Plan plan, List<Records> events, long now, int maxEventBytes) {
    if (events.size() != plan.entries().size()) {
      throw new IllegalArgumentException(
          "compaction got " + events.size() + " events for " + plan.entries().size() + " index entries");
    }
    Map<ByteBuffer, Long> newest = new HashMap<>();
    for (Records event : events) {
      for (MutableRecordBatch batch : event.memoryRecords().batches()) {
        if (batch.isControlBatch() || aborted(batch, plan)) {
          continue;
        }
        for (Record record : batch) {
          if (record.offset() >= plan.logStartOffset() && record.hasKey()) {
            newest.put(copy(record.key()), record.offset());
          }
        }
      }
    }
    List<RecordsCompacted> replacements = new ArrayList<>();
    long oldestTombstone = -1;
    int group = 0;
    while (group < events.size()) {
      int groupEnd = group;
      long groupBytes = 0;
      while (groupEnd < events.size()
          && (groupEnd == group || groupBytes + plan.entries().get(groupEnd).sizeInBytes() <= maxEventBytes)) {
        groupBytes += plan.entries().get(groupEnd).sizeInBytes();
        groupEnd++;
      }
      ByteArrayOutputStream kept = new ByteArrayOutputStream();
      boolean changed = false;
      for (int i = group; i < groupEnd; i++) {
        for (MutableRecordBatch batch : events.get(i).memoryRecords().batches()) {
          Filtered filtered = filter(batch, plan, newest, now);
          changed |= filtered.changed();
          kept.writeBytes(filtered.bytes());
          if (filtered.oldestTombstone() >= 0) {
            oldestTombstone = oldestTombstone < 0
                ? filtered.oldestTombstone() : Math.min(oldestTombstone, filtered.oldestTombstone());
          }
        }
      }
      if (changed) {
        replacements.add(new RecordsCompacted(plan.entries().get(group).baseOffset(),
            plan.entries().get(groupEnd - 1).lastOffset(), kept.toByteArray()));
      }
      group = groupEnd;
    }
    return new Result(replacements, new LogCompacted(plan.endOffset(), oldestTombstone));
  }

  private record Filtered(byte[] bytes, boolean changed, long oldestTombstone) {}

  /** One batch with only the records compaction keeps; the original bytes when it keeps them all. */
  private static Filtered filter(RecordBatch batch, Plan plan, Map<ByteBuffer, Long> newest, long now) {
    if (batch.isControlBatch()) {
      ByteBuffer marker = ByteBuffer.allocate(batch.sizeInBytes());
      batch.writeTo(marker);
      return new Filtered(marker.array(), false, -1);
    }
    if (aborted(batch, plan)) {
      return new Filtered(new byte[0], true, -1);
    }
    List<Record> kept = new ArrayList<>();
    int read = 0;
    long oldestTombstone = -1;
    for (Record record : batch) {
      read++;
      if (!retain(record, plan, newest, now)) {
        continue;
      }
      kept.add(record);
      if (record.hasKey() && !record.hasValue()) {
        oldestTombstone = oldestTombstone < 0 ? record.timestamp() : Math.min(oldestTombstone, record.timestamp());
      }
    }
    if (kept.size() == read) {
      ByteBuffer original = ByteBuffer.allocate(batch.sizeInBytes());
      batch.writeTo(original);
      return new Filtered(original.array(), false, oldestTombstone);
    }
    if (kept.isEmpty()) {
      return new Filtered(new byte[0], true, -1);
    }
    long logAppendTime = batch.timestampType() == TimestampType.LOG_APPEND_TIME
        ? batch.maxTimestamp() : RecordBatch.NO_TIMESTAMP;
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(batch.sizeInBytes()),
        RecordBatch.MAGIC_VALUE_V2, Compression.of(batch.compressionType()).build(), batch.timestampType(),
        batch.baseOffset(), logAppendTime, batch.producerId(), batch.producerEpoch(), batch.baseSequence(),
        batch.isTransactional(), batch.partitionLeaderEpoch());
    for (Record record : kept) {
      builder.appendWithOffset(record.offset(), record.timestamp(), record.key(), record.value(), record.headers());
    }
    // Kafka's cleaner keeps a rebuilt batch's last offset, so the batch still spans the offsets it spanned.
    builder.overrideLastOffset(batch.lastOffset());
    ByteBuffer built = builder.build().buffer();
    byte[] bytes = new byte[built.remaining()];
    built.get(bytes);
    return new Filtered(bytes, true, oldestTombstone);
  }

  /** Whether {@code batch} belongs to a transaction that was aborted. */
  private static boolean aborted(RecordBatch batch, Plan plan) {
    if (!batch.isTransactional()) {
      return false;
    }
    for (AbortedTxn txn : plan.aborted()) {
      if (txn.producerId() == batch.producerId() && txn.firstOffset() <= batch.baseOffset()
          && batch.lastOffset() <= txn.lastOffset()) {
        return true;
      }
    }
    return false;
  }

  private static boolean retain(Record record, Plan plan, Map<ByteBuffer, Long> newest, long now) {
    if (record.offset() < plan.logStartOffset()) {
      return false;
    }
    if (!record.hasKey()) {
      return true;
    }
    if (newest.get(copy(record.key())) != record.offset()) {
      return false;
    }
    return record.hasValue() || now - record.timestamp() <= plan.deleteRetentionMs();
  }

  private static ByteBuffer copy(ByteBuffer key) {
    ByteBuffer view = key.duplicate();
    byte[] bytes = new byte[view.remaining()];
    view.get(bytes);
    return ByteBuffer.wrap(bytes);
  }
}
