package dev.runnel.broker.partition;

import dev.runnel.persistence.AbortedTxn;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * Record batches read from a partition, as they were stored: whole Kafka v2 batches, the first of which holds the
 * fetch offset (it may start before it, as in Kafka).
 *
 * @param error {@link Errors#NONE}, or why nothing was read ({@code OFFSET_OUT_OF_RANGE}, ...)
 * @param highWatermark the offset after the last committed record
 * @param lastStableOffset the first offset of the earliest ongoing transaction, else the high watermark; a
 *     READ_COMMITTED fetch holds only batches below it
 * @param logStartOffset the first offset that can be fetched
 * @param abortedTransactions for a READ_COMMITTED fetch, the aborted transactions with records in the range read
 *     (Kafka's FetchResponse {@code aborted_transactions}), so the consumer drops them; else empty
 * @param records the batches; empty when there is nothing at the offset yet. A heap buffer shared with the
 *     partition's tail cache (or the journal read, or the message it came in), never to be written: it is not
 *     read-only only so that a response writer can send its array without a copy ({@code ByteStringWriter}), which
 *     a read-only view hides
 */
public record FetchResult(Errors error, long highWatermark, long lastStableOffset, long logStartOffset,
    List<AbortedTxn> abortedTransactions, ByteBuffer records) {

  private static final ByteBuffer NO_RECORDS = ByteBuffer.allocate(0);

  public FetchResult {
    abortedTransactions = List.copyOf(abortedTransactions);
  }

  /** Batches of a log with no transaction open. */
  public static FetchResult of(long highWatermark, long logStartOffset, ByteBuffer records) {
    return of(highWatermark, highWatermark, logStartOffset, List.of(), records);
  }

  public static FetchResult of(long highWatermark, long lastStableOffset, long logStartOffset,
      List<AbortedTxn> abortedTransactions, ByteBuffer records) {
    return new FetchResult(Errors.NONE, highWatermark, lastStableOffset, logStartOffset, abortedTransactions,
        records);
  }

  public static FetchResult empty(long highWatermark, long logStartOffset) {
    return empty(highWatermark, highWatermark, logStartOffset);
  }

  public static FetchResult empty(long highWatermark, long lastStableOffset, long logStartOffset) {
    return new FetchResult(Errors.NONE, highWatermark, lastStableOffset, logStartOffset, List.of(), NO_RECORDS);
  }

  public static FetchResult error(Errors error, long highWatermark, long logStartOffset) {
    return new FetchResult(error, highWatermark, highWatermark, logStartOffset, List.of(), NO_RECORDS);
  }

  /**
   * Whether a consumer sees the records of {@code batch} of this result: not if it is a control batch (a
   * transaction marker), nor a transactional batch of a transaction this result names as aborted.
   */
  public boolean isVisible(RecordBatch batch) {
    if (batch.isControlBatch()) {
      return false;
    }
    if (!batch.isTransactional()) {
      return true;
    }
    for (AbortedTxn txn : abortedTransactions) {
      if (txn.producerId() == batch.producerId() && txn.firstOffset() <= batch.baseOffset()
          && batch.lastOffset() <= txn.lastOffset()) {
        return false;
      }
    }
    return true;
  }

  /** A fresh view of the records, positioned at their start. */
  @Override
  public ByteBuffer records() {
    return records.duplicate();
  }
}
