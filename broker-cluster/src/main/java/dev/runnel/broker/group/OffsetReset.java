package dev.runnel.broker.group;

/** Where {@link Groups#resetOffsets} moves a group's offsets, like {@code kafka-consumer-groups --reset-offsets}. */
public sealed interface OffsetReset {

  /** {@code --to-earliest}: the log start offset. */
  record ToEarliest() implements OffsetReset {}

  /** {@code --to-latest}: the log end offset. */
  record ToLatest() implements OffsetReset {}

  /** {@code --to-offset}: this offset, clamped to the partition's log start and end offsets. */
  record ToOffset(long offset) implements OffsetReset {}

  /** {@code --to-datetime}: the first offset whose record timestamp is at or after this one (epoch ms). */
  record ToTimestamp(long timestamp) implements OffsetReset {}
}
