package dev.runnel.broker.partition;

import com.typesafe.config.Config;
import dev.runnel.persistence.KeyIndex;
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
 * @param keyIndex the bounds of each partition's key index (see {@link KeyIndex})
 * @param keyReadMaxBytes bytes of journal events one read of a key's records examines, at most (at least one event)
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
    KeyIndex.Limits keyIndex,
    int keyReadMaxBytes,
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
    if (keyReadMaxBytes <= 0) {
      throw new IllegalArgumentException("runnel.broker.partition.key-read-max-bytes must be positive");
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
        keyIndex(partition.getConfig("key-index")),
        partition.getBytes("key-read-max-bytes").intValue(),
        Clock.systemUTC());
  }

  private static KeyIndex.Limits keyIndex(Config keyIndex) {
    int maxKeys = keyIndex.getInt("max-keys");
    int maxOffsets = keyIndex.getInt("max-offsets-per-key");
    if (maxKeys < 0) {
      throw new IllegalArgumentException("runnel.broker.partition.key-index.max-keys must not be negative");
    }
    if (maxOffsets <= 0) {
      throw new IllegalArgumentException("runnel.broker.partition.key-index.max-offsets-per-key must be positive");
    }
    return new KeyIndex.Limits(maxKeys, maxOffsets);
  }

  public PartitionSettings withClock(Clock clock) {
    return new PartitionSettings(tailCacheBytes, tailCacheTotalBytes, maxWriteBytes, snapshotEvery, journalTimeout,
        retentionCheckInterval, compactionCheckInterval, idleSweepInterval, idleTimeout, requestTimeout, keyIndex,
        keyReadMaxBytes, clock);
  }
}
