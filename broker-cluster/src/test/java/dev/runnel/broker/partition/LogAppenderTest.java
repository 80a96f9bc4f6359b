package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.testkit.MalformedBatches;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

class LogAppenderTest {

  private static final int MAX = 1_000_000;
  private static final long NO_APPEND_TIME = RecordBatch.NO_TIMESTAMP;

  static ByteBuffer plain(String... values) {
    return MemoryRecords.withRecords(Compression.NONE, records(values)).buffer();
  }

  static ByteBuffer idempotent(long producerId, short epoch, int sequence, String... values) {
    return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, sequence, records(values)).buffer();
  }

  static ByteBuffer transactional(long producerId, short epoch, int sequence, String... values) {
    return MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, sequence, records(values))
        .buffer();
  }

  private static SimpleRecord[] records(String... values) {
    SimpleRecord[] records = new SimpleRecord[values.length];
    for (int i = 0; i < values.length; i++) {
      records[i] = new SimpleRecord(1000L + i, null, values[i].getBytes(StandardCharsets.UTF_8));
    }
    return records;
  }

  /** {@link LogAppender#append} of producer data only. */
  private static LogAppender.Outcome appendData(
      PartitionState state, List<ByteBuffer> appends, int maxMessageBytes, long logAppendTime) {
    List<LogAppender.Write> writes = new ArrayList<>();
    for (ByteBuffer records : appends) {
      writes.add(new LogAppender.Data(records));
    }
    return LogAppender.append(state, writes, maxMessageBytes, logAppendTime);
  }

  private static PartitionState applied(PartitionState state, LogAppender.Outcome outcome) {
    return outcome.event().map(state::apply).orElse(state);
  }

  @Test
  void when_validAppendsAreGrouped_then_theyGetContiguousOffsetsWrittenIntoTheBatches() {
    LogAppender.Outcome outcome =
        appendData(PartitionState.EMPTY, List.of(plain("a", "b"), plain("c"), plain("d", "e", "f")), MAX, NO_APPEND_TIME);
    assertEquals(List.of(0L, 2L, 3L), outcome.results().stream().map(AppendResult::baseOffset).toList());
    RecordsAppended event = outcome.event().orElseThrow();
    assertEquals(0, event.baseOffset());
    assertEquals(5, event.lastOffset());
    List<Long> baseOffsets = new ArrayList<>();
    for (MutableRecordBatch batch : event.memoryRecords().batches()) {
      batch.ensureValid();
      baseOffsets.add(batch.baseOffset());
    }
    assertEquals(List.of(0L, 2L, 3L), baseOffsets, "base offsets written into the stored batches");
  }

  @Test
  void when_recordsAreTruncatedOrGarbage_then_theyAreRefusedWithCorruptMessage() {
    ByteBuffer whole = plain("a", "b", "c");
    ByteBuffer truncated = ByteBuffer.wrap(whole.array(), 0, whole.remaining() - 3).slice();
    ByteBuffer garbage = ByteBuffer.wrap("this is not a record batch at all, not even close".getBytes());
    LogAppender.Outcome outcome = appendData(PartitionState.EMPTY,
        List.of(truncated, garbage, ByteBuffer.allocate(0)), MAX, NO_APPEND_TIME);
    for (AppendResult result : outcome.results()) {
      assertEquals(Errors.CORRUPT_MESSAGE, result.error(), result.errorMessage());
    }
    assertTrue(outcome.event().isEmpty(), "nothing stored");
  }

  @Test
  void when_aBatchExceedsMaxMessageBytes_then_itIsRefusedWithMessageTooLarge() {
    ByteBuffer big = plain("x".repeat(2000));
    LogAppender.Outcome outcome = appendData(PartitionState.EMPTY, List.of(big), 1000, NO_APPEND_TIME);
    assertEquals(Errors.MESSAGE_TOO_LARGE, outcome.results().get(0).error());
    assertTrue(outcome.event().isEmpty());
  }

  @Test
  void when_anIdempotentBatchIsRetried_then_itIsAnsweredWithTheOriginalOffsetAndNotStoredTwice() {
    PartitionState state = applied(PartitionState.EMPTY,
        appendData(PartitionState.EMPTY, List.of(plain("before")), MAX, NO_APPEND_TIME));
    LogAppender.Outcome first = appendData(state, List.of(idempotent(7, (short) 0, 0, "a", "b")), MAX, NO_APPEND_TIME);
    state = applied(state, first);
    assertEquals(1, first.results().get(0).baseOffset());

    LogAppender.Outcome retry = appendData(state,
        List.of(idempotent(7, (short) 0, 0, "a", "b"), idempotent(7, (short) 0, 2, "c")), MAX, NO_APPEND_TIME);
    assertEquals(Errors.NONE, retry.results().get(0).error());
    assertEquals(1, retry.results().get(0).baseOffset(), "duplicate answered with its original offset");
    assertEquals(3, retry.results().get(1).baseOffset(), "the next batch follows the log end");
    assertEquals(3, retry.event().orElseThrow().baseOffset());
    assertEquals(3, retry.event().orElseThrow().lastOffset(), "only the new batch is stored");
  }

  @Test
  void when_aDuplicateArrivesInTheSameGroup_then_itIsStoredOnce() {
    LogAppender.Outcome outcome = appendData(PartitionState.EMPTY,
        List.of(idempotent(7, (short) 0, 0, "a"), idempotent(7, (short) 0, 0, "a")), MAX, NO_APPEND_TIME);
    assertEquals(0, outcome.results().get(0).baseOffset());
    assertEquals(0, outcome.results().get(1).baseOffset());
    assertEquals(0, outcome.event().orElseThrow().lastOffset());
  }

  @Test
  void when_sequencesAreOutOfOrderOrEpochsStale_then_kafkasErrorsRefuseThem() {
    PartitionState state = applied(PartitionState.EMPTY,
        appendData(PartitionState.EMPTY, List.of(idempotent(7, (short) 3, 0, "a", "b")), MAX, NO_APPEND_TIME));
    LogAppender.Outcome outcome = appendData(state, List.of(
        idempotent(7, (short) 3, 5, "gap"),
        idempotent(7, (short) 2, 2, "stale"),
        idempotent(7, (short) 4, 1, "new epoch not at zero"),
        idempotent(7, (short) 3, 2, "in order")), MAX, NO_APPEND_TIME);
    assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, outcome.results().get(0).error());
    assertEquals(Errors.INVALID_PRODUCER_EPOCH, outcome.results().get(1).error());
    assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, outcome.results().get(2).error());
    assertEquals(Errors.NONE, outcome.results().get(3).error());
    assertEquals(2, outcome.results().get(3).baseOffset());
  }

  /** {@link LogAppender#append} of one transaction marker, stamped at time 5. */
  private static LogAppender.Outcome appendMarker(PartitionState state, long producerId, short epoch,
      int coordinatorEpoch, boolean commit) {
    return LogAppender.append(state, List.of(new LogAppender.Marker(producerId, epoch, coordinatorEpoch, commit, 5)),
        MAX, NO_APPEND_TIME);
  }

  @Test
  void when_aMarkerComesFromAnOlderCoordinatorEpoch_then_itIsFencedAndTheOpenTransactionStaysOpen() {
    // Producer 7's first transaction ends with decision 4's COMMIT; its second is open when decision 3's late COMMIT
    // arrives (a coordinator that was replaced): it must not end the second transaction.
    PartitionState state = applied(PartitionState.EMPTY, appendData(PartitionState.EMPTY,
        List.of(transactional(7, (short) 0, 0, "first")), MAX, NO_APPEND_TIME));
    state = applied(state, appendMarker(state, 7, (short) 0, 4, true));
    state = applied(state, appendData(state, List.of(transactional(7, (short) 0, 1, "second")), MAX, NO_APPEND_TIME));
    assertEquals(4, state.producer(7).orElseThrow().coordinatorEpoch(),
        "the state, which derives from the stored bytes alone, reads it out of the EndTransactionMarker");

    LogAppender.Outcome stale = appendMarker(state, 7, (short) 0, 3, true);
    assertEquals(Errors.TRANSACTION_COORDINATOR_FENCED, stale.results().get(0).error());
    assertTrue(stale.event().isEmpty(), "a fenced marker writes nothing");
    assertEquals(2L, state.ongoingTxns().get(7L), "the second transaction is still open at offset 2");

    // The current coordinator epoch, and later ones, still end it.
    LogAppender.Outcome current = appendMarker(state, 7, (short) 0, 4, false);
    assertEquals(Errors.NONE, current.results().get(0).error());
    assertEquals(3, current.results().get(0).baseOffset(), "the ABORT marker follows the second transaction");
    assertEquals(Errors.NONE, appendMarker(state, 7, (short) 0, 5, true).results().get(0).error());
  }

  @Test
  void when_aBatchHasANegativeOrInconsistentLastOffsetDelta_then_itIsRefusedAndTheAppendsBehindItAreStored() {
    ByteBuffer negative = MalformedBatches.withHeaderInt(plain("x", "y"), MalformedBatches.LAST_OFFSET_DELTA, -5);
    ByteBuffer beyondCount = MalformedBatches.withHeaderInt(plain("x", "y"), MalformedBatches.LAST_OFFSET_DELTA, 7);
    ByteBuffer huge = MalformedBatches.withHeaderInt(plain("x"), MalformedBatches.LAST_OFFSET_DELTA, Integer.MAX_VALUE);
    PartitionState state = applied(PartitionState.EMPTY,
        appendData(PartitionState.EMPTY, List.of(plain("a", "b", "c")), MAX, NO_APPEND_TIME));

    LogAppender.Outcome outcome = appendData(state,
        List.of(negative, plain("d"), beyondCount, huge, plain("e")), MAX, NO_APPEND_TIME);

    assertEquals(Errors.INVALID_RECORD, outcome.results().get(0).error(), outcome.results().get(0).errorMessage());
    assertEquals(Errors.INVALID_RECORD, outcome.results().get(2).error(), outcome.results().get(2).errorMessage());
    assertEquals(Errors.INVALID_RECORD, outcome.results().get(3).error(), outcome.results().get(3).errorMessage());
    assertEquals(3, outcome.results().get(1).baseOffset(), "the append behind the refused one is stored");
    assertEquals(4, outcome.results().get(4).baseOffset());
    RecordsAppended event = outcome.event().orElseThrow();
    assertEquals(3, event.baseOffset());
    assertEquals(4, event.lastOffset(), "only the two good records are stored");
  }

  @Test
  void when_theTopicUsesLogAppendTime_then_storedBatchesCarryTheAppendTimeWithAValidCrc() {
    LogAppender.Outcome outcome =
        appendData(PartitionState.EMPTY, List.of(plain("a", "b"), plain("c")), MAX, 5_000L);
    for (MutableRecordBatch batch : outcome.event().orElseThrow().memoryRecords().batches()) {
      batch.ensureValid();
      assertEquals(TimestampType.LOG_APPEND_TIME, batch.timestampType());
      assertEquals(5_000L, batch.maxTimestamp());
      batch.forEach(record -> assertEquals(5_000L, record.timestamp(), "records read the batch's append time"));
    }
  }
}
