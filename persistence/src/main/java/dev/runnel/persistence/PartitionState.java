package dev.runnel.persistence;

import dev.runnel.persistence.PartitionEvent.PartitionDeleted;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
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
 */
public record PartitionState(
    long lastSequenceNr,
    long logStartOffset,
    long logEndOffset,
    long sizeInBytes,
    OffsetIndex index,
    HashMap<Object, ProducerStateEntry> producers,
    boolean deleted) {

  public static final PartitionState EMPTY =
      new PartitionState(0, 0, 0, 0, OffsetIndex.empty(), HashMap$.MODULE$.empty(), false);

  public PartitionState apply(PartitionEvent event) {
    if (event instanceof RecordsAppended appended) {
      return applyAppended(appended);
    }
    if (event instanceof PartitionDeleted) {
      return new PartitionState(
          lastSequenceNr + 1, logEndOffset, logEndOffset, 0, OffsetIndex.empty(), HashMap$.MODULE$.empty(), true);
    }
    throw new IllegalStateException("unknown partition event " + event);
  }

  private PartitionState applyAppended(RecordsAppended event) {
    if (event.baseOffset() != logEndOffset) {
      throw new IllegalStateException(
          "event at offset " + event.baseOffset() + " does not continue the log ending at " + logEndOffset);
    }
    long sequenceNr = lastSequenceNr + 1;
    long maxTimestamp = -1;
    HashMap<Object, ProducerStateEntry> nextProducers = producers;
    for (MutableRecordBatch batch : event.memoryRecords().batches()) {
      maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
      if (batch.hasProducerId()) {
        ProducerStateEntry entry = producer(nextProducers, batch.producerId())
            .orElse(new ProducerStateEntry(batch.producerId(), batch.producerEpoch(), List.of(), -1));
        ProducerBatch written =
            new ProducerBatch(batch.baseSequence(), batch.lastSequence(), batch.lastOffset(), batch.maxTimestamp());
        nextProducers = nextProducers.updated(batch.producerId(), entry.withBatch(batch.producerEpoch(), written));
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
        deleted);
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
      boolean deleted) {
    HashMap<Object, ProducerStateEntry> map = HashMap$.MODULE$.empty();
    for (ProducerStateEntry entry : producers) {
      map = map.updated(entry.producerId(), entry);
    }
    return new PartitionState(lastSequenceNr, logStartOffset, logEndOffset, sizeInBytes, index, map, deleted);
  }
}
