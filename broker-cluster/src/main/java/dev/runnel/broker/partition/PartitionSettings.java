package dev.runnel.broker.partition;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the partition entities, from {@code runnel.broker.partition}.
 *
 * @param tailCacheBytes bytes of the newest batches each partition keeps in memory for tail fetches
 * @param maxWriteBytes upper bound of one journal write gathered by group commit
 * @param snapshotEvery take a snapshot every this many journal events
 * @param journalTimeout how long a journal read or deletion may take
 */
public record PartitionSettings(long tailCacheBytes, int maxWriteBytes, int snapshotEvery, Duration journalTimeout) {

  public PartitionSettings {
    if (tailCacheBytes < 0) {
      throw new IllegalArgumentException("runnel.broker.partition.tail-cache-bytes must not be negative");
    }
    if (maxWriteBytes <= 0) {
      throw new IllegalArgumentException("runnel.broker.partition.max-write-bytes must be positive");
    }
    if (snapshotEvery <= 0) {
      throw new IllegalArgumentException("runnel.broker.partition.snapshot-every must be positive");
    }
  }

  public static PartitionSettings create(Config partition) {
    return new PartitionSettings(
        partition.getBytes("tail-cache-bytes"),
        partition.getBytes("max-write-bytes").intValue(),
        partition.getInt("snapshot-every"),
        partition.getDuration("journal-timeout"));
  }
}
