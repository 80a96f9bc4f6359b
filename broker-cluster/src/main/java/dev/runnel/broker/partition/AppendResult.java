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
 * @param conflict when the append's {@link AppendCondition} did not hold, what it found; null otherwise. Its
 *     {@code error} is then {@link Errors#INVALID_REQUEST}, Kafka's nearest name, though the APIs that take
 *     conditions (HTTP, native) answer it as Runnel's {@link #CONDITION_NOT_MET}
 */
public record AppendResult(Errors error, String errorMessage, long baseOffset, long logStartOffset,
    long logAppendTime, AppendCondition.Conflict conflict) {

  /** Runnel's error name for an append whose condition did not hold. */
  public static final String CONDITION_NOT_MET = "CONDITION_NOT_MET";
  /** Its code, outside Kafka's range of error codes so that it never means a Kafka error. */
  public static final short CONDITION_NOT_MET_CODE = 1000;

  public AppendResult(Errors error, String errorMessage, long baseOffset, long logStartOffset, long logAppendTime) {
    this(error, errorMessage, baseOffset, logStartOffset, logAppendTime, null);
  }

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

  /** Refused because the append's condition did not hold; nothing was stored. */
  public static AppendResult conflicted(AppendCondition.Conflict conflict) {
    return new AppendResult(Errors.INVALID_REQUEST, conflict.message(), -1, -1, -1, conflict);
  }

  public boolean isConflict() {
    return conflict != null;
  }

  public boolean isStored() {
    return error == Errors.NONE;
  }
}
