package dev.runnel.broker.partition;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Settings of the partition entities, from {@code runnel.broker.partition}.
 *
 * @param tailCacheBytes bytes of the newest batches each partition keeps in memory for tail fetches, at most
 * @param tailCacheTotalBytes bytes all partitions' tail caches of the node hold together, at most
 * @param maxWriteBytes upper bound of one journal write gathered by group commit (and of one compacted event)
 * @param snapshotEvery take a snapshot every this many journal events
 * @param journalTimeout how long a journal read or deletion may take
 * @param retentionCheckInterval how often retention by time and size is checked
 * @param compactionCheckInterval how often a compacted topic's partition looks for a compaction to run
 * @param idleSweepInterval how often every partition is woken, so passivated ones get their checks too
 * @param idleTimeout how long a partition no request used stays in memory before it is passivated; empty: for ever
 * @param requestTimeout how long a request waits for one partition's answer (Fetch: beyond its wait), after
 *     which that partition alone is answered {@code REQUEST_TIMED_OUT}
 * @param clock the time retention and compaction measure ages against; tests pass a clock they control
 */
public record PartitionSettings(
    long tailCacheBytes,
    long tailCacheTotalBytes,
    int maxWriteBytes,
    int snapshotEvery,
    Duration journalTimeout,
    Duration retentionCheckInterval,
    Duration compactionCheckInterval,
    Duration idleSweepInterval,
    Optional<Duration> idleTimeout,
    Duration requestTimeout,
    Clock clock) {

  public PartitionSettings {
    if (tailCacheBytes < 0) {
      throw new IllegalArgumentException("runnel.broker.partition.tail-cache-bytes must not be negative");
    }
    if (tailCacheTotalBytes < 0) {
      throw new IllegalArgumentException("runnel.broker.partition.tail-cache-total-bytes must not be negative");
    }
    if (maxWriteBytes <= 0) {
      throw new IllegalArgumentException("runnel.broker.partition.max-write-bytes must be positive");
    }
    if (snapshotEvery <= 0) {
      throw new IllegalArgumentException("runnel.broker.partition.snapshot-every must be positive");
    }
    if (retentionCheckInterval.isNegative() || retentionCheckInterval.isZero()) {
      throw new IllegalArgumentException("runnel.broker.partition.retention-check-interval must be positive");
    }
    if (compactionCheckInterval.isNegative() || compactionCheckInterval.isZero()) {
      throw new IllegalArgumentException("runnel.broker.partition.compaction-check-interval must be positive");
    }
    if (idleSweepInterval.isNegative() || idleSweepInterval.isZero()) {
      throw new IllegalArgumentException("runnel.broker.partition.idle-sweep-interval must be positive");
    }
    if (idleTimeout.isPresent() && (idleTimeout.get().isNegative() || idleTimeout.get().isZero())) {
      throw new IllegalArgumentException("runnel.broker.partition.idle-timeout must be positive or off");
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("runnel.broker.partition.request-timeout must be positive");
    }
  }

  /** The settings in {@code partition}, measuring time with the system clock. */
  public static PartitionSettings create(Config partition) {
    return new PartitionSettings(
        partition.getBytes("tail-cache-bytes"),
        partition.getBytes("tail-cache-total-bytes"),
        partition.getBytes("max-write-bytes").intValue(),
        partition.getInt("snapshot-every"),
        partition.getDuration("journal-timeout"),
        partition.getDuration("retention-check-interval"),
        partition.getDuration("compaction-check-interval"),
        partition.getDuration("idle-sweep-interval"),
        partition.getString("idle-timeout").equals("off")
            ? Optional.empty() : Optional.of(partition.getDuration("idle-timeout")),
        partition.getDuration("request-timeout"),
        Clock.systemUTC());
  }

  public PartitionSettings withClock(Clock clock) {
    return new PartitionSettings(tailCacheBytes, tailCacheTotalBytes, maxWriteBytes, snapshotEvery, journalTimeout,
        retentionCheckInterval, compactionCheckInterval, idleSweepInterval, idleTimeout, requestTimeout, clock);
  }
}
