package dev.runnel.broker.group;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the group coordinators, from {@code runnel.broker.group} (each key is documented in
 * {@code reference.conf}). Kafka's broker settings of the same meaning are named beside each field.
 *
 * @param initialRebalanceDelay {@code group.initial.rebalance.delay.ms}: how long the first rebalance of an empty
 *     group waits for more members to join
 * @param minSessionTimeout {@code group.min.session.timeout.ms}
 * @param maxSessionTimeout {@code group.max.session.timeout.ms}
 * @param offsetsRetention {@code offsets.retention.minutes}: how long an empty group's committed offsets are kept
 * @param offsetMetadataMaxBytes {@code offset.metadata.max.bytes}
 * @param tickInterval how often a coordinator checks session, rebalance and retention deadlines
 * @param snapshotEvery take a snapshot of a group every this many events
 */
public record GroupSettings(
    Duration initialRebalanceDelay,
    Duration minSessionTimeout,
    Duration maxSessionTimeout,
    Duration offsetsRetention,
    int offsetMetadataMaxBytes,
    Duration tickInterval,
    int snapshotEvery) {

  public GroupSettings {
    if (initialRebalanceDelay.isNegative()) {
      throw new IllegalArgumentException("runnel.broker.group.initial-rebalance-delay must not be negative");
    }
    if (minSessionTimeout.isNegative() || maxSessionTimeout.compareTo(minSessionTimeout) < 0) {
      throw new IllegalArgumentException(
          "runnel.broker.group.min-session-timeout must be between 0 and max-session-timeout");
    }
    if (offsetsRetention.isNegative() || offsetsRetention.isZero()) {
      throw new IllegalArgumentException("runnel.broker.group.offsets-retention must be positive");
    }
    if (offsetMetadataMaxBytes < 0) {
      throw new IllegalArgumentException("runnel.broker.group.offset-metadata-max-bytes must not be negative");
    }
    if (tickInterval.isNegative() || tickInterval.isZero()) {
      throw new IllegalArgumentException("runnel.broker.group.tick-interval must be positive");
    }
    if (snapshotEvery <= 0) {
      throw new IllegalArgumentException("runnel.broker.group.snapshot-every must be positive");
    }
  }

  public static GroupSettings create(Config group) {
    return new GroupSettings(
        group.getDuration("initial-rebalance-delay"),
        group.getDuration("min-session-timeout"),
        group.getDuration("max-session-timeout"),
        group.getDuration("offsets-retention"),
        group.getBytes("offset-metadata-max-bytes").intValue(),
        group.getDuration("tick-interval"),
        group.getInt("snapshot-every"));
  }
}
