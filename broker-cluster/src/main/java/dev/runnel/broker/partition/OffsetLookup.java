package dev.runnel.broker.partition;

import org.apache.kafka.common.protocol.Errors;

/**
 * The answer to a ListOffsets question: the offset (and its record's timestamp, for timestamp lookups), or -1 and -1
 * when no record has a timestamp at or after the one asked for.
 */
public record OffsetLookup(Errors error, long offset, long timestamp) {

  public static OffsetLookup of(long offset, long timestamp) {
    return new OffsetLookup(Errors.NONE, offset, timestamp);
  }

  public static OffsetLookup error(Errors error) {
    return new OffsetLookup(error, -1, -1);
  }
}
