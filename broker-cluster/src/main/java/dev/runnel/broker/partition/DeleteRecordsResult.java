package dev.runnel.broker.partition;

import org.apache.kafka.common.protocol.Errors;

/**
 * The answer to Kafka's DeleteRecords for one partition.
 *
 * @param error {@link Errors#NONE}, or why the log start did not move ({@code OFFSET_OUT_OF_RANGE} beyond the high
 *     watermark, {@code POLICY_VIOLATION} on a topic that is only compacted, ...)
 * @param lowWatermark the log start offset after the request; -1 with an error
 */
public record DeleteRecordsResult(Errors error, long lowWatermark) {

  public static DeleteRecordsResult of(long lowWatermark) {
    return new DeleteRecordsResult(Errors.NONE, lowWatermark);
  }

  public static DeleteRecordsResult error(Errors error) {
    return new DeleteRecordsResult(error, -1);
  }
}
