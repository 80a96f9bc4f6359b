package dev.runnel.persistence;

import dev.runnel.persistence.PartitionEvent.LogCompacted;
import dev.runnel.persistence.PartitionEvent.LogStartOffsetAdvanced;
import dev.runnel.persistence.PartitionEvent.PartitionDeleted;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionEvent.RecordsCompacted;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import scala.collection.immutable.HashMap;
import scala.collection.immutable.HashMap$;

/**
 * The durable state of a partition's log, rebuilt on recovery from the latest snapshot plus the events after it.
 * It holds no record data: that stays in the journal (and in the entity's tail cache), found through {@link #index()}.
 *
 * <p>Immutable; {@link #apply} returns the next state.
 *
 * @param lastSequenceNr journal sequence number of the last applied event (every event of the partition passes
 *     through {@link #apply}, so this is the sequence number the next event will get, minus one)
 * @param logStartOffset the first offset that can be fetched
 * @param logEndOffset the offset the next appended record will get (the high watermark on a single replica)
 * @param sizeInBytes bytes of record batches between the log start and end
 * @param index where each offset's journal event is
 * @param producers idempotence state by producer id
 * @param deleted whether the partition's topic was deleted
 * @param firstDirtyOffset compaction has cleaned the log below this offset (Kafka's first dirty offset)
 * @param oldestTombstoneTimestamp timestamp of the oldest tombstone the last compaction kept, -1 when none; the
 *     next compaction is due once it is older than {@code delete.retention.ms}
 * @param ongoingTxns the first offset of each producer's ongoing transaction, by producer id: a transactional batch
 *     opens one, its producer's COMMIT or ABORT control batch (marker) closes it
 * @param abortedTxns the aborted-transactions index, in the order of their markers, from the log start on
 * @param keyIndex each record key's version and newest offsets (see {@link KeyIndex})
 */
public record PartitionState(
    long lastSequenceNr,
    long logStartOffset,
    long logEndOffset,
    long sizeInBytes,
    OffsetIndex index,
    HashMap<Object, ProducerStateEntry> producers,
    boolean deleted,
    long firstDirtyOffset,
    long oldestTombstoneTimestamp,
    Map<Long, Long> ongoingTxns,
    List<AbortedTxn> abortedTxns,
    KeyIndex keyIndex) {

  public static final PartitionState EMPTY = new PartitionState(0, 0, 0, 0, OffsetIndex.empty(),
      HashMap$.MODULE$.empty(), false, 0, -1, Map.of(), List.of(), KeyIndex.EMPTY);

  public PartitionState {
    ongoingTxns = Map.copyOf(ongoingTxns);
    abortedTxns = List.copyOf(abortedTxns);
  }

  /**
   * Kafka's last stable offset: the first offset of the earliest ongoing transaction, else the high watermark. A
   * read_committed consumer reads below it only.
   */
  public long lastStableOffset() {
    long lso = logEndOffset;
    for (long first : ongoingTxns.values()) {
      lso = Math.min(lso, first);
    }
    return Math.max(lso, logStartOffset);
  }

  /** The aborted transactions with records in {@code [fromOffset, toOffset)}, in marker order. */
  public List<AbortedTxn> abortedTxns(long fromOffset, long toOffset) {
    List<AbortedTxn> found = new ArrayList<>();
    for (AbortedTxn txn : abortedTxns) {
      if (txn.lastOffset() >= fromOffset && txn.firstOffset() < toOffset) {
        found.add(txn);
      }
    }
    return found;
  }

  /** {@link #apply(PartitionEvent, KeyIndex.Limits)} with the key index's default limits. */
  public PartitionState apply(PartitionEvent event) {
    return apply(event, KeyIndex.Limits.DEFAULT);
  }

  /** The state after {@code event}; the key index holds at most {@code keyLimits}. */
  public PartitionState apply(PartitionEvent event, KeyIndex.Limits keyLimits) {
    if (event instanceof RecordsAppended appended) {
      return applyAppended(appended, keyLimits);
    }
    if (event instanceof RecordsCompacted compacted) {
      return applyCompacted(compacted);
    }
    if (event instanceof LogCompacted compacted) {
      return new PartitionState(lastSequenceNr + 1, logStartOffset, logEndOffset, sizeInBytes, index, producers,
          deleted, Math.max(firstDirtyOffset, compacted.firstDirtyOffset()), compacted.oldestTombstoneTimestamp(),
          ongoingTxns, abortedTxns, keyIndex);
    }
    if (event instanceof LogStartOffsetAdvanced advanced) {
      return applyLogStartAdvanced(advanced);
    }
    if (event instanceof PartitionDeleted) {
      return new PartitionState(lastSequenceNr + 1, logEndOffset, logEndOffset, 0, OffsetIndex.empty(),
          HashMap$.MODULE$.empty(), true, logEndOffset, -1, Map.of(), List.of(), KeyIndex.EMPTY);
    }
    throw new IllegalStateException("unknown partition event " + event);
  }

  private PartitionState applyAppended(RecordsAppended event, KeyIndex.Limits keyLimits) {
    if (event.baseOffset() != logEndOffset) {
      throw new IllegalStateException(
          "event at offset " + event.baseOffset() + " does not continue the log ending at " + logEndOffset);
    }
    long sequenceNr = lastSequenceNr + 1;
    long maxTimestamp = -1;
    HashMap<Object, ProducerStateEntry> nextProducers = producers;
    Map<Long, Long> nextOngoing = ongoingTxns;
    List<AbortedTxn> nextAborted = abortedTxns;
    for (MutableRecordBatch batch : event.memoryRecords().batches()) {
      maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
      if (!batch.hasProducerId()) {
        continue;
      }
      ProducerStateEntry entry = producer(nextProducers, batch.producerId())
          .orElse(ProducerStateEntry.first(batch.producerId(), batch.producerEpoch()));
      if (batch.isControlBatch()) {
        nextProducers = nextProducers.updated(batch.producerId(),
            entry.withMarker(batch.producerEpoch(), coordinatorEpoch(batch)));
        Long first = nextOngoing.get(batch.producerId());
        if (first != null) {
          nextOngoing = without(nextOngoing, batch.producerId());
          if (isAbort(batch)) {
            nextAborted = with(nextAborted, new AbortedTxn(batch.producerId(), first, batch.lastOffset()));
          }
        }
        continue;
      }
      ProducerBatch written =
          new ProducerBatch(batch.baseSequence(), batch.lastSequence(), batch.lastOffset(), batch.maxTimestamp());
      nextProducers = nextProducers.updated(batch.producerId(), entry.withBatch(batch.producerEpoch(), written));
      if (batch.isTransactional() && !nextOngoing.containsKey(batch.producerId())) {
        Map<Long, Long> opened = new java.util.HashMap<>(nextOngoing);
        opened.put(batch.producerId(), batch.baseOffset());
        nextOngoing = opened;
      }
    }
    IndexEntry entry =
        new IndexEntry(event.baseOffset(), event.lastOffset(), sequenceNr, event.records().length, maxTimestamp);
    return new PartitionState(
        sequenceNr,
        logStartOffset,
        event.lastOffset() + 1,
        sizeInBytes + event.records().length,
        index.appended(entry),
        nextProducers,
        deleted,
        firstDirtyOffset,
        oldestTombstoneTimestamp,
        nextOngoing,
        nextAborted,
        keyIndex.appended(ByteBuffer.wrap(event.records()), event.baseOffset(), keyLimits));
  }

  /** Whether a control batch is an ABORT marker (a COMMIT, or a control record of another kind, is not). */
  public static boolean isAbort(MutableRecordBatch controlBatch) {
    for (Record record : controlBatch) {
      return ControlRecordType.parse(record.key()) == ControlRecordType.ABORT;
    }
    return false;
  }

  /**
   * The coordinator epoch an end-transaction marker carries (EndTransactionMarker's value), so that a replayed log
   * fences stale coordinators as the live one did; {@link ProducerStateEntry#NO_COORDINATOR_EPOCH} for a control
   * record of another kind.
   */
  static int coordinatorEpoch(MutableRecordBatch controlBatch) {
    for (Record record : controlBatch) {
      ControlRecordType type = ControlRecordType.parse(record.key());
      return type == ControlRecordType.COMMIT || type == ControlRecordType.ABORT
          ? EndTransactionMarker.deserialize(record).coordinatorEpoch()
          : ProducerStateEntry.NO_COORDINATOR_EPOCH;
    }
    return ProducerStateEntry.NO_COORDINATOR_EPOCH;
  }

  private static Map<Long, Long> without(Map<Long, Long> map, long key) {
    Map<Long, Long> copy = new java.util.HashMap<>(map);
    copy.remove(key);
    return copy;
  }

  private static List<AbortedTxn> with(List<AbortedTxn> list, AbortedTxn txn) {
    List<AbortedTxn> copy = new ArrayList<>(list.size() + 1);
    copy.addAll(list);
    copy.add(txn);
    return copy;
  }

  /**
   * Points the replaced range at the compacted event. The entity checked, before persisting, that the range is
   * made of whole index entries; on replay the state is the same, so the check holds again.
   */
  private PartitionState applyCompacted(RecordsCompacted event) {
    long sequenceNr = lastSequenceNr + 1;
    int from = index.positionFor(event.fromOffset());
    int to = index.positionFor(event.toOffset() + 1);
    if (from < index.size() && index.get(from).baseOffset() < event.fromOffset()
        || to < index.size() && index.get(to).baseOffset() <= event.toOffset()) {
      throw new IllegalStateException("compacted range " + event.fromOffset() + ".." + event.toOffset()
          + " does not cover whole index entries");
    }
    long removedBytes = 0;
    for (int i = from; i < to; i++) {
      removedBytes += index.get(i).sizeInBytes();
    }
    IndexEntry replacement = null;
    if (event.records().length > 0) {
      long baseOffset = -1;
      long lastOffset = -1;
      long maxTimestamp = -1;
      for (MutableRecordBatch batch : event.memoryRecords().batches()) {
        if (baseOffset < 0) {
          baseOffset = batch.baseOffset();
        }
        lastOffset = batch.lastOffset();
        maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
      }
      replacement = new IndexEntry(baseOffset, lastOffset, sequenceNr, event.records().length, maxTimestamp);
    }
    return new PartitionState(sequenceNr, logStartOffset, logEndOffset,
        sizeInBytes - removedBytes + event.records().length, index.replaced(from, to, replacement), producers,
        deleted, firstDirtyOffset, oldestTombstoneTimestamp, ongoingTxns, abortedTxns,
        keyIndex.compacted(event.fromOffset(), event.toOffset(), ByteBuffer.wrap(event.records())));
  }

  private PartitionState applyLogStartAdvanced(LogStartOffsetAdvanced event) {
    long start = Math.max(logStartOffset, event.logStartOffset());
    OffsetIndex kept = index.truncatedBefore(start);
    long removedBytes = 0;
    for (int i = 0; i < index.size() - kept.size(); i++) {
      removedBytes += index.get(i).sizeInBytes();
    }
    // An aborted transaction wholly below the log start has nothing left for a consumer to drop.
    List<AbortedTxn> aborted = abortedTxns.stream().filter(txn -> txn.lastOffset() >= start).toList();
    return new PartitionState(lastSequenceNr + 1, start, logEndOffset, sizeInBytes - removedBytes, kept, producers,
        deleted, Math.max(firstDirtyOffset, start), oldestTombstoneTimestamp, ongoingTxns, aborted,
        keyIndex.truncatedBefore(start));
  }

  public Optional<ProducerStateEntry> producer(long producerId) {
    return producer(producers, producerId);
  }

  private static Optional<ProducerStateEntry> producer(HashMap<Object, ProducerStateEntry> map, long producerId) {
    scala.Option<ProducerStateEntry> found = map.get(producerId);
    return found.isDefined() ? Optional.of(found.get()) : Optional.empty();
  }

  public Collection<ProducerStateEntry> producerEntries() {
    List<ProducerStateEntry> list = new ArrayList<>(producers.size());
    producers.valuesIterator().foreach(list::add);
    return list;
  }

  public static PartitionState of(
      long lastSequenceNr,
      long logStartOffset,
      long logEndOffset,
      long sizeInBytes,
      OffsetIndex index,
      Collection<ProducerStateEntry> producers,
      boolean deleted,
      long firstDirtyOffset,
      long oldestTombstoneTimestamp,
      Map<Long, Long> ongoingTxns,
      List<AbortedTxn> abortedTxns,
      KeyIndex keyIndex) {
    HashMap<Object, ProducerStateEntry> map = HashMap$.MODULE$.empty();
    for (ProducerStateEntry entry : producers) {
      map = map.updated(entry.producerId(), entry);
    }
    return new PartitionState(lastSequenceNr, logStartOffset, logEndOffset, sizeInBytes, index, map, deleted,
        firstDirtyOffset, oldestTombstoneTimestamp, ongoingTxns, abortedTxns, keyIndex);
  }
}
