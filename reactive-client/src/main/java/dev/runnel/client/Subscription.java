package dev.runnel.client;

import dev.runnel.client.internal.Protocol;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which partitions of a topic a consumer source reads, and where each starts: an offset, or earliest/latest.
 *
 * @param startOffsets partition → start offset ({@link #EARLIEST}, {@link #LATEST} or an offset)
 */
public record Subscription(String topic, Map<Integer, Long> startOffsets) {

  public static final long EARLIEST = Protocol.EARLIEST;
  public static final long LATEST = Protocol.LATEST;

  public Subscription {
    if (startOffsets.isEmpty()) {
      throw new IllegalArgumentException("a subscription needs at least one partition");
    }
    startOffsets = Map.copyOf(startOffsets);
  }

  /** The partitions from their first record. */
  public static Subscription earliest(String topic, int... partitions) {
    return from(topic, EARLIEST, partitions);
  }

  /** The partitions from their end: only records produced after the subscription starts. */
  public static Subscription latest(String topic, int... partitions) {
    return from(topic, LATEST, partitions);
  }

  /** The partitions from the given offsets. */
  public static Subscription atOffsets(String topic, Map<Integer, Long> offsets) {
    return new Subscription(topic, offsets);
  }

  private static Subscription from(String topic, long start, int... partitions) {
    Map<Integer, Long> offsets = new LinkedHashMap<>();
    for (int partition : partitions) {
      offsets.put(partition, start);
    }
    return new Subscription(topic, offsets);
  }
}
