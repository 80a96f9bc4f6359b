package dev.runnel.broker.partition;

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;

/**
 * The answer to an append: the offset of its first record, or the Kafka error that refused it (nothing of a
 * refused append is stored).
 *
 * @param error {@link Errors#NONE} when stored
 * @param errorMessage why it was refused; null when stored
 * @param baseOffset offset of the first record; -1 when refused
 * @param logStartOffset the partition's log start offset at the time of the append
 * @param logAppendTime the time the batches were stamped with when the topic uses LogAppendTime, else -1 (Kafka's
 *     ProduceResponse {@code log_append_time_ms})
 */
public record AppendResult(Errors error, String errorMessage, long baseOffset, long logStartOffset,
    long logAppendTime) {

  public static AppendResult stored(long baseOffset, long logStartOffset) {
    return stored(baseOffset, logStartOffset, -1);
  }

  public static AppendResult stored(long baseOffset, long logStartOffset, long logAppendTime) {
    return new AppendResult(Errors.NONE, null, baseOffset, logStartOffset, logAppendTime);
  }

  public static AppendResult refused(ApiException cause) {
    return new AppendResult(Errors.forException(cause), cause.getMessage(), -1, -1, -1);
  }

  public static AppendResult refused(Errors error, String message) {
    return new AppendResult(error, message, -1, -1, -1);
  }

  public boolean isStored() {
    return error == Errors.NONE;
  }
}
