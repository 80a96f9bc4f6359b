package dev.runnel.broker.partition;

import dev.runnel.persistence.KeyIndex;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionState;
import dev.runnel.persistence.ProducerBatch;
import dev.runnel.persistence.ProducerStateEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TransactionCoordinatorFencedException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * The partition's append decision as a pure function: given the log's state and the writes gathered for one
 * journal write (producers' batches and transaction markers), which are stored (with which offsets) and which are
 * refused (with which Kafka error), and the one event that stores them. Nothing here touches the actor.
 *
 * <p><b>Transactions</b> follow Kafka's producer state rules: a transactional batch is sequence-checked like an
 * idempotent one and opens its producer's transaction here if none is open; while one is open the producer may
 * write only transactional batches ({@code INVALID_TXN_STATE}); a batch or marker of an epoch older than the
 * producer's is {@code INVALID_PRODUCER_EPOCH}; a marker from a coordinator epoch older than that of the producer's
 * last marker here is {@code TRANSACTION_COORDINATOR_FENCED} and changes nothing; a marker ends the transaction, and
 * one of a higher epoch makes it the producer's epoch. The state derives the ongoing transactions and the aborted index from the stored batches.
 */
final class LogAppender {

  private LogAppender() {}

  /** One write of a group: a producer's record batches, or a transaction marker from the coordinator. */
  sealed interface Write {}

  /**
   * Record batches from a producer, validated here before they get offsets, stored only if {@code condition} (when
   * not null) holds against the log as the group's earlier writes leave it.
   */
  record Data(ByteBuffer records, AppendCondition condition) implements Write {
    Data(ByteBuffer records) {
      this(records, null);
    }
  }

  /**
   * Kafka's WriteTxnMarkers for one producer: ends its ongoing transaction with a COMMIT or ABORT control batch
   * stamped {@code timestamp}. It is written when the producer has a transaction open here, or when its epoch is
   * higher than the one registered here (the coordinator fenced the old one: the marker makes that durable);
   * otherwise it is answered without a write, so a coordinator may send it again after a crash.
   * {@code coordinatorEpoch} is the number of the coordinator's decision ({@code TransactionMetadata}), which grows
   * with every decision and survives the coordinator's moves between nodes.
   */
  record Marker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit, long timestamp)
      implements Write {}

  /** What to do with a group of writes: at most one event, and one result per write in order. */
  record Outcome(Optional<RecordsAppended> event, List<AppendResult> results) {}

  /** A write that passed validation, waiting for its offsets. */
  private record Accepted(int index, ByteBuffer records, int recordCount) {}

  /**
   * The outcome of appending {@code appends} to the log in {@code state}.
   *
   * @param maxMessageBytes the topic's {@code max.message.bytes}
   * @param logAppendTime when not {@link RecordBatch#NO_TIMESTAMP}, the topic's {@code message.timestamp.type} is
   *     LogAppendTime and this is the time every stored batch is stamped with (as Kafka's LogValidator does for v2:
   *     the batch's maxTimestamp and timestamp type are set and its CRC recomputed; records keep their deltas)
   */
  static Outcome append(PartitionState state, List<Write> writes, int maxMessageBytes, long logAppendTime) {
    return append(state, writes, maxMessageBytes, logAppendTime, KeyIndex.Limits.DEFAULT);
  }

  /**
   * {@link #append(PartitionState, List, int, long)} where a keyed {@link AppendCondition} is checked against the
   * key index of {@code state} plus the group's earlier writes, indexed within {@code keyLimits} as the state will
   * index them.
   */
  static Outcome append(PartitionState state, List<Write> writes, int maxMessageBytes, long logAppendTime,
      KeyIndex.Limits keyLimits) {
    // Only a group with a keyed condition pays for indexing its writes here, before the state indexes the event.
    boolean keyedConditions = false;
    for (Write write : writes) {
      keyedConditions |= write instanceof Data data && data.condition() != null && data.condition().keyed();
    }
    KeyIndex keys = state.keyIndex();
    List<AppendResult> results = new ArrayList<>(writes.size());
    List<Accepted> accepted = new ArrayList<>();
    Map<Long, ProducerStateEntry> producers = new HashMap<>();
    // Transactions opened (true) or ended (false) by the group's earlier writes, over those of the state.
    Map<Long, Boolean> open = new HashMap<>();
    long nextOffset = state.logEndOffset();
    int eventBytes = 0;
    for (int i = 0; i < writes.size(); i++) {
      Write write = writes.get(i);
      try {
        if (write instanceof Marker marker) {
          ProducerStateEntry entry = producers.containsKey(marker.producerId())
              ? producers.get(marker.producerId())
              : state.producer(marker.producerId()).orElse(null);
          if (entry != null && marker.producerEpoch() < entry.epoch()) {
            throw new InvalidProducerEpochException("Transaction marker of producer " + marker.producerId()
                + " has epoch " + marker.producerEpoch() + ", older than the current epoch " + entry.epoch());
          }
          if (entry != null && marker.coordinatorEpoch() < entry.coordinatorEpoch()) {
            // Kafka's ProducerAppendInfo.checkCoordinatorEpoch: a later coordinator epoch has written a marker for
            // this producer here, so this one comes from a coordinator that has been replaced (a zombie, or a
            // delivery delayed past the decisions after it). Writing it could end a later transaction.
            throw new TransactionCoordinatorFencedException("Transaction marker of producer " + marker.producerId()
                + " has coordinator epoch " + marker.coordinatorEpoch() + ", older than the last one written here, "
                + entry.coordinatorEpoch());
          }
          boolean ongoing = open.getOrDefault(marker.producerId(),
              state.ongoingTxns().containsKey(marker.producerId()));
          if (!ongoing && (entry == null || marker.producerEpoch() == entry.epoch())) {
            results.add(AppendResult.stored(-1, state.logStartOffset()));
            continue;
          }
          ByteBuffer records = markerBatch(marker, nextOffset);
          ProducerStateEntry base = entry != null ? entry
              : ProducerStateEntry.first(marker.producerId(), marker.producerEpoch());
          producers.put(marker.producerId(), base.withMarker(marker.producerEpoch(), marker.coordinatorEpoch()));
          open.put(marker.producerId(), false);
          results.add(AppendResult.stored(nextOffset, state.logStartOffset(), logAppendTime));
          accepted.add(new Accepted(i, records, 1));
          nextOffset += 1;
          eventBytes += records.remaining();
          continue;
        }
        Data data = (Data) write;
        ByteBuffer records = data.records();
        List<MutableRecordBatch> batches = validate(records, maxMessageBytes);
        MutableRecordBatch first = batches.get(0);
        ProducerStateEntry entry = null;
        if (first.hasProducerId()) {
          entry = producers.containsKey(first.producerId())
              ? producers.get(first.producerId())
              : state.producer(first.producerId()).orElse(null);
          ProducerBatch duplicate = checkSequence(entry, first);
          if (duplicate != null) {
            // A retry of a stored append gets its first answer, though the log has moved past its condition.
            results.add(AppendResult.stored(duplicate.baseOffset(), state.logStartOffset(),
                logAppendTime == RecordBatch.NO_TIMESTAMP ? RecordBatch.NO_TIMESTAMP : duplicate.maxTimestamp()));
            continue;
          }
        }
        if (data.condition() != null) {
          Optional<AppendCondition.Conflict> conflict = data.condition().check(nextOffset, keys);
          if (conflict.isPresent()) {
            results.add(AppendResult.conflicted(conflict.get()));
            continue;
          }
        }
        if (first.hasProducerId()) {
          boolean ongoing = open.getOrDefault(first.producerId(), state.ongoingTxns().containsKey(first.producerId()));
          if (ongoing && !first.isTransactional()) {
            // Kafka's rule: a producer in a transaction writes only transactional batches until its marker.
            throw new InvalidTxnStateException("Producer " + first.producerId()
                + " sent a non-transactional batch while its transaction is ongoing");
          }
          if (first.isTransactional()) {
            open.put(first.producerId(), true);
          }
          long lastOffset = nextOffset + count(first) - 1;
          ProducerBatch written =
              new ProducerBatch(first.baseSequence(), first.lastSequence(), lastOffset,
                  logAppendTime == RecordBatch.NO_TIMESTAMP ? first.maxTimestamp() : logAppendTime);
          ProducerStateEntry base = entry != null ? entry
              : ProducerStateEntry.first(first.producerId(), first.producerEpoch());
          producers.put(first.producerId(), base.withBatch(first.producerEpoch(), written));
        }
        int count = 0;
        for (MutableRecordBatch batch : batches) {
          count += count(batch);
        }
        results.add(AppendResult.stored(nextOffset, state.logStartOffset(), logAppendTime));
        accepted.add(new Accepted(i, records, count));
        if (keyedConditions) {
          keys = keys.appended(records, nextOffset, keyLimits);
        }
        nextOffset += count;
        eventBytes += records.remaining();
      } catch (ApiException e) {
        results.add(AppendResult.refused(e));
      }
    }
    if (accepted.isEmpty()) {
      return new Outcome(Optional.empty(), results);
    }
    ByteBuffer event = ByteBuffer.allocate(eventBytes);
    for (Accepted append : accepted) {
      event.put(append.records().duplicate());
    }
    event.flip();
    long offset = state.logEndOffset();
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(event).batches()) {
      long delta = batch.lastOffset() - batch.baseOffset();
      batch.setLastOffset(offset + delta);
      batch.setPartitionLeaderEpoch(0);
      if (logAppendTime != RecordBatch.NO_TIMESTAMP) {
        batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, logAppendTime);
      }
      offset += delta + 1;
    }
    return new Outcome(
        Optional.of(new RecordsAppended(state.logEndOffset(), offset - 1, event.array())), results);
  }

  /** The control batch (Kafka's EndTransactionMarker) that ends {@code marker}'s transaction, at {@code offset}. */
  private static ByteBuffer markerBatch(Marker marker, long offset) {
    EndTransactionMarker end = new EndTransactionMarker(
        marker.commit() ? ControlRecordType.COMMIT : ControlRecordType.ABORT, marker.coordinatorEpoch());
    return MemoryRecords.withEndTransactionMarker(offset, marker.timestamp(), 0, marker.producerId(),
        marker.producerEpoch(), end).buffer();
  }

  /**
   * The batches of one append, checked in the actor as a last, cheap defense: whole v2 batches, each within
   * {@code max.message.bytes}, whose header's record count agrees with its offset range, no control batches, and a
   * single batch when it comes from an idempotent producer. Every append has passed the full {@link BatchValidator}
   * (CRC and each record walked) before it is sent here; this repeats only what the offsets assigned below depend
   * on, so no input can make them go backwards. The CRC is not computed again: it was a sixth of a produce's CPU
   * time on the broker, and a batch's CRC protects its records, not the partition's offsets (Kafka's LogValidator
   * too checks it once). Transactional batches need a producer id; control batches come from {@link Marker}s only.
   * It throws nothing but {@link ApiException}s.
   */
  static List<MutableRecordBatch> validate(ByteBuffer records, int maxMessageBytes) {
    List<MutableRecordBatch> batches = new ArrayList<>(1);
    int bytes = 0;
    try {
      for (MutableRecordBatch batch : MemoryRecords.readableRecords(records.duplicate()).batches()) {
        if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
          throw new InvalidRecordException("Record batch magic " + batch.magic() + " is not supported; use v2");
        }
        if (batch.sizeInBytes() > maxMessageBytes) {
          throw new RecordTooLargeException("The record batch of " + batch.sizeInBytes()
              + " bytes is larger than max.message.bytes " + maxMessageBytes);
        }
        if (batch.isControlBatch()) {
          throw new InvalidRecordException("Clients may not write control batches");
        }
        if (batch.isTransactional() && !batch.hasProducerId()) {
          throw new InvalidRecordException("A transactional batch needs a producer id");
        }
        Integer count = batch.countOrNull();
        long delta = batch.lastOffset() - batch.baseOffset();
        if (count == null || count <= 0 || delta != count - 1L) {
          throw new InvalidRecordException("Record batch declares " + count + " records and lastOffsetDelta "
              + delta + "; the delta must be the count minus one");
        }
        batches.add(batch);
        bytes += batch.sizeInBytes();
      }
    } catch (CorruptRecordException e) {
      throw e;
    } catch (ApiException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CorruptRecordException("Record batch does not parse: " + e.getMessage(), e);
    }
    if (batches.isEmpty() || bytes != records.remaining()) {
      throw new CorruptRecordException("Records are not a sequence of whole record batches ("
          + bytes + " of " + records.remaining() + " bytes parsed)");
    }
    if (batches.size() > 1 && batches.get(0).hasProducerId()) {
      throw new InvalidRecordException("An idempotent producer must send one batch per partition per request");
    }
    return batches;
  }

  /** The records of a batch that {@link #validate} accepted, from its offset range. */
  private static int count(RecordBatch batch) {
    return (int) (batch.lastOffset() - batch.baseOffset() + 1);
  }

  /**
   * Kafka's sequence check for an idempotent batch against its producer's state: the batch it duplicates (to be
   * answered with the original offset), or null when it is new and in order.
   *
   * @throws InvalidProducerEpochException when the batch's epoch is older than the producer's
   * @throws OutOfOrderSequenceException when its first sequence does not follow the last one written
   */
  static ProducerBatch checkSequence(ProducerStateEntry entry, RecordBatch batch) {
    if (entry == null) {
      // A producer this partition has no state for (new, or its state expired): any sequence starts it.
      return null;
    }
    if (batch.producerEpoch() < entry.epoch()) {
      throw new InvalidProducerEpochException("Producer " + entry.producerId() + " epoch " + batch.producerEpoch()
          + " is older than the current epoch " + entry.epoch());
    }
    if (batch.producerEpoch() > entry.epoch()) {
      if (batch.baseSequence() != 0) {
        throw new OutOfOrderSequenceException("Producer " + entry.producerId() + " started epoch "
            + batch.producerEpoch() + " at sequence " + batch.baseSequence() + ", expected 0");
      }
      return null;
    }
    ProducerBatch duplicate = entry.findDuplicate(batch.baseSequence(), batch.lastSequence());
    if (duplicate != null) {
      return duplicate;
    }
    int expected = ProducerStateEntry.nextSequence(entry.lastSequence());
    if (batch.baseSequence() != expected) {
      throw new OutOfOrderSequenceException("Producer " + entry.producerId() + " sent sequence "
          + batch.baseSequence() + ", expected " + expected);
    }
    return null;
  }
}
