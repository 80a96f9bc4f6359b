package dev.runnel.broker.partition;

import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.Errors;

/**
 * Record batches read from a partition, as they were stored: whole Kafka v2 batches, the first of which holds the
 * fetch offset (it may start before it, as in Kafka).
 *
 * @param error {@link Errors#NONE}, or why nothing was read ({@code OFFSET_OUT_OF_RANGE}, ...)
 * @param highWatermark the offset after the last committed record
 * @param logStartOffset the first offset that can be fetched
 * @param records the batches; empty when there is nothing at the offset yet
 */
public record FetchResult(Errors error, long highWatermark, long logStartOffset, ByteBuffer records) {

  private static final ByteBuffer NO_RECORDS = ByteBuffer.allocate(0).asReadOnlyBuffer();

  public static FetchResult of(long highWatermark, long logStartOffset, ByteBuffer records) {
    return new FetchResult(Errors.NONE, highWatermark, logStartOffset, records.asReadOnlyBuffer());
  }

  public static FetchResult empty(long highWatermark, long logStartOffset) {
    return new FetchResult(Errors.NONE, highWatermark, logStartOffset, NO_RECORDS);
  }

  public static FetchResult error(Errors error, long highWatermark, long logStartOffset) {
    return new FetchResult(error, highWatermark, logStartOffset, NO_RECORDS);
  }

  /** A fresh view of the records, positioned at their start. */
  @Override
  public ByteBuffer records() {
    return records.duplicate();
  }
}
