package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

class LogAppenderTest {

  private static final int MAX = 1_000_000;

  static ByteBuffer plain(String... values) {
    return MemoryRecords.withRecords(Compression.NONE, records(values)).buffer();
  }

  static ByteBuffer idempotent(long producerId, short epoch, int sequence, String... values) {
    return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, sequence, records(values)).buffer();
  }

  private static SimpleRecord[] records(String... values) {
    SimpleRecord[] records = new SimpleRecord[values.length];
    for (int i = 0; i < values.length; i++) {
      records[i] = new SimpleRecord(1000L + i, null, values[i].getBytes(StandardCharsets.UTF_8));
    }
    return records;
  }

  private static PartitionState applied(PartitionState state, LogAppender.Outcome outcome) {
    return outcome.event().map(state::apply).orElse(state);
  }

  @Test
  void when_validAppendsAreGrouped_then_theyGetContiguousOffsetsWrittenIntoTheBatches() {
    LogAppender.Outcome outcome =
        LogAppender.append(PartitionState.EMPTY, List.of(plain("a", "b"), plain("c"), plain("d", "e", "f")), MAX);
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
  void when_aBatchHasABadCrc_then_onlyItIsRefusedWithCorruptMessage() {
    ByteBuffer corrupt = plain("x", "y");
    corrupt.put(corrupt.limit() - 1, (byte) (corrupt.get(corrupt.limit() - 1) ^ 0x5a));
    LogAppender.Outcome outcome = LogAppender.append(PartitionState.EMPTY, List.of(plain("a"), corrupt, plain("b")), MAX);
    assertEquals(Errors.NONE, outcome.results().get(0).error());
    assertEquals(Errors.CORRUPT_MESSAGE, outcome.results().get(1).error());
    assertEquals(Errors.NONE, outcome.results().get(2).error());
    assertEquals(1, outcome.results().get(2).baseOffset(), "the refused batch takes no offsets");
    assertEquals(1, outcome.event().orElseThrow().lastOffset());
  }

  @Test
  void when_recordsAreTruncatedOrGarbage_then_theyAreRefusedWithCorruptMessage() {
    ByteBuffer whole = plain("a", "b", "c");
    ByteBuffer truncated = ByteBuffer.wrap(whole.array(), 0, whole.remaining() - 3).slice();
    ByteBuffer garbage = ByteBuffer.wrap("this is not a record batch at all, not even close".getBytes());
    LogAppender.Outcome outcome = LogAppender.append(PartitionState.EMPTY,
        List.of(truncated, garbage, ByteBuffer.allocate(0)), MAX);
    for (AppendResult result : outcome.results()) {
      assertEquals(Errors.CORRUPT_MESSAGE, result.error(), result.errorMessage());
    }
    assertTrue(outcome.event().isEmpty(), "nothing stored");
  }

  @Test
  void when_aBatchExceedsMaxMessageBytes_then_itIsRefusedWithMessageTooLarge() {
    ByteBuffer big = plain("x".repeat(2000));
    LogAppender.Outcome outcome = LogAppender.append(PartitionState.EMPTY, List.of(big), 1000);
    assertEquals(Errors.MESSAGE_TOO_LARGE, outcome.results().get(0).error());
    assertTrue(outcome.event().isEmpty());
  }

  @Test
  void when_anIdempotentBatchIsRetried_then_itIsAnsweredWithTheOriginalOffsetAndNotStoredTwice() {
    PartitionState state = applied(PartitionState.EMPTY,
        LogAppender.append(PartitionState.EMPTY, List.of(plain("before")), MAX));
    LogAppender.Outcome first = LogAppender.append(state, List.of(idempotent(7, (short) 0, 0, "a", "b")), MAX);
    state = applied(state, first);
    assertEquals(1, first.results().get(0).baseOffset());

    LogAppender.Outcome retry = LogAppender.append(state,
        List.of(idempotent(7, (short) 0, 0, "a", "b"), idempotent(7, (short) 0, 2, "c")), MAX);
    assertEquals(Errors.NONE, retry.results().get(0).error());
    assertEquals(1, retry.results().get(0).baseOffset(), "duplicate answered with its original offset");
    assertEquals(3, retry.results().get(1).baseOffset(), "the next batch follows the log end");
    assertEquals(3, retry.event().orElseThrow().baseOffset());
    assertEquals(3, retry.event().orElseThrow().lastOffset(), "only the new batch is stored");
  }

  @Test
  void when_aDuplicateArrivesInTheSameGroup_then_itIsStoredOnce() {
    LogAppender.Outcome outcome = LogAppender.append(PartitionState.EMPTY,
        List.of(idempotent(7, (short) 0, 0, "a"), idempotent(7, (short) 0, 0, "a")), MAX);
    assertEquals(0, outcome.results().get(0).baseOffset());
    assertEquals(0, outcome.results().get(1).baseOffset());
    assertEquals(0, outcome.event().orElseThrow().lastOffset());
  }

  @Test
  void when_sequencesAreOutOfOrderOrEpochsStale_then_kafkasErrorsRefuseThem() {
    PartitionState state = applied(PartitionState.EMPTY,
        LogAppender.append(PartitionState.EMPTY, List.of(idempotent(7, (short) 3, 0, "a", "b")), MAX));
    LogAppender.Outcome outcome = LogAppender.append(state, List.of(
        idempotent(7, (short) 3, 5, "gap"),
        idempotent(7, (short) 2, 2, "stale"),
        idempotent(7, (short) 4, 1, "new epoch not at zero"),
        idempotent(7, (short) 3, 2, "in order")), MAX);
    assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, outcome.results().get(0).error());
    assertEquals(Errors.INVALID_PRODUCER_EPOCH, outcome.results().get(1).error());
    assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, outcome.results().get(2).error());
    assertEquals(Errors.NONE, outcome.results().get(3).error());
    assertEquals(2, outcome.results().get(3).baseOffset());
  }
}
