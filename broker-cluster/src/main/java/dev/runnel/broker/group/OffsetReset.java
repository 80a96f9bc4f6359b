package dev.runnel.broker.group;

/** Where {@link Groups#resetOffsets} moves a group's offsets, like {@code kafka-consumer-groups --reset-offsets}. */
public sealed interface OffsetReset {

  /** {@code --to-earliest}: the log start offset. */
  record ToEarliest() implements OffsetReset {}

  /** {@code --to-latest}: the log end offset. */
  record ToLatest() implements OffsetReset {}

  /** {@code --to-offset}: this offset, clamped to the partition's log start and end offsets. */
  record ToOffset(long offset) implements OffsetReset {}

  /**
   * {@code --to-datetime}: the first offset whose record timestamp is at or after this one (epoch ms, at least 0:
   * ListOffsets would read -1 and -2 as latest and earliest).
   */
  record ToTimestamp(long timestamp) implements OffsetReset {
    public ToTimestamp {
      if (timestamp < 0) {
        throw new IllegalArgumentException("timestamp must be at least 0, not " + timestamp);
      }
    }
  }
}
