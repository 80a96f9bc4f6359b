package dev.runnel.broker.partition;

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
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * The partition's append decision as a pure function: given the log's state and the appends gathered for one
 * journal write, which are stored (with which offsets) and which are refused (with which Kafka error), and the one
 * event that stores them. Nothing here touches the actor.
 */
final class LogAppender {

  private LogAppender() {}

  /** What to do with a group of appends: at most one event, and one result per append in order. */
  record Outcome(Optional<RecordsAppended> event, List<AppendResult> results) {}

  /** An append that passed validation, with its batches' sizes, waiting for its offsets. */
  private record Accepted(int index, ByteBuffer records, int recordCount) {}

  /**
   * The outcome of appending {@code appends} to the log in {@code state}.
   *
   * @param maxMessageBytes the topic's {@code max.message.bytes}
   * @param logAppendTime when not {@link RecordBatch#NO_TIMESTAMP}, the topic's {@code message.timestamp.type} is
   *     LogAppendTime and this is the time every stored batch is stamped with (as Kafka's LogValidator does for v2:
   *     the batch's maxTimestamp and timestamp type are set and its CRC recomputed; records keep their deltas)
   */
  static Outcome append(PartitionState state, List<ByteBuffer> appends, int maxMessageBytes, long logAppendTime) {
    List<AppendResult> results = new ArrayList<>(appends.size());
    List<Accepted> accepted = new ArrayList<>();
    Map<Long, ProducerStateEntry> producers = new HashMap<>();
    long nextOffset = state.logEndOffset();
    int eventBytes = 0;
    for (int i = 0; i < appends.size(); i++) {
      ByteBuffer records = appends.get(i);
      try {
        List<MutableRecordBatch> batches = validate(records, maxMessageBytes);
        MutableRecordBatch first = batches.get(0);
        if (first.hasProducerId()) {
          ProducerStateEntry entry = producers.containsKey(first.producerId())
              ? producers.get(first.producerId())
              : state.producer(first.producerId()).orElse(null);
          ProducerBatch duplicate = checkSequence(entry, first);
          if (duplicate != null) {
            results.add(AppendResult.stored(duplicate.baseOffset(), state.logStartOffset(),
                logAppendTime == RecordBatch.NO_TIMESTAMP ? RecordBatch.NO_TIMESTAMP : duplicate.maxTimestamp()));
            continue;
          }
          long lastOffset = nextOffset + count(first) - 1;
          ProducerBatch written =
              new ProducerBatch(first.baseSequence(), first.lastSequence(), lastOffset,
                  logAppendTime == RecordBatch.NO_TIMESTAMP ? first.maxTimestamp() : logAppendTime);
          ProducerStateEntry base = entry != null ? entry
              : new ProducerStateEntry(first.producerId(), first.producerEpoch(), List.of(), -1);
          producers.put(first.producerId(), base.withBatch(first.producerEpoch(), written));
        }
        int count = 0;
        for (MutableRecordBatch batch : batches) {
          count += count(batch);
        }
        results.add(AppendResult.stored(nextOffset, state.logStartOffset(), logAppendTime));
        accepted.add(new Accepted(i, records, count));
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

  /**
   * The batches of one append, checked in the actor as a last, cheap defense: whole v2 batches, each within
   * {@code max.message.bytes}, whose header's record count agrees with its offset range, no control or
   * transactional batches, and a single batch when it comes from an idempotent producer. Every append has passed
   * the full {@link BatchValidator} (CRC and each record walked) before it is sent here; this repeats only what the
   * offsets assigned below depend on, so no input can make them go backwards. The CRC is not computed again: it was
   * a sixth of a produce's CPU time on the broker, and a batch's CRC protects its records, not the partition's
   * offsets (Kafka's LogValidator too checks it once). It throws nothing but {@link ApiException}s.
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
        if (batch.isTransactional()) {
          throw new InvalidRecordException("Transactional batches are not supported");
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
