package dev.runnel.persistence.segment;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of one segment journal (a {@code runnel.segment-journal} block; every key is documented in the
 * module's {@code reference.conf}).
 *
 * @param dir directory holding one sub-directory of segment files per persistence id
 * @param segmentBytes size at which the active segment is closed and a new one started
 * @param indexIntervalBytes bytes of entries between two entries of a segment's sparse index
 * @param fsync when written bytes are forced to the disk
 * @param fsyncInterval how often under {@link FsyncPolicy#INTERVAL}
 * @param maxBatchBytes how many queued bytes the writer gathers into one batch (one gathered write per file)
 * @param maxQueuedWrites queued write requests before further ones wait for room (on the store's admission thread)
 * @param maxEntryBytes the largest entry accepted, and the bound a length read back is checked against
 * @param fsyncThreads how many files are forced at once (a batch's under always, the interval's under interval)
 * @param maxOpenFiles how many segment files the store keeps open, at most (beyond it the least recently used close)
 */
public record SegmentJournalSettings(
    Path dir,
    long segmentBytes,
    int indexIntervalBytes,
    FsyncPolicy fsync,
    Duration fsyncInterval,
    int maxBatchBytes,
    int maxQueuedWrites,
    int maxEntryBytes,
    int fsyncThreads,
    int maxOpenFiles) {

  public SegmentJournalSettings {
    checkPositive(segmentBytes, "segment-bytes");
    checkPositive(indexIntervalBytes, "index-interval-bytes");
    checkPositive(fsyncInterval.toMillis(), "fsync-interval");
    checkPositive(maxBatchBytes, "max-batch-bytes");
    checkPositive(maxQueuedWrites, "max-queued-writes");
    checkPositive(maxEntryBytes, "max-entry-bytes");
    checkPositive(fsyncThreads, "fsync-threads");
    checkPositive(maxOpenFiles, "max-open-files");
  }

  /** Reads a journal plugin's block, e.g. {@code config.getConfig("runnel.segment-journal")}. */
  public static SegmentJournalSettings create(Config config) {
    return new SegmentJournalSettings(
        Path.of(config.getString("dir")).toAbsolutePath().normalize(),
        config.getBytes("segment-bytes"),
        Math.toIntExact(config.getBytes("index-interval-bytes")),
        FsyncPolicy.of(config.getString("fsync"), "fsync"),
        config.getDuration("fsync-interval"),
        Math.toIntExact(config.getBytes("max-batch-bytes")),
        config.getInt("max-queued-writes"),
        Math.toIntExact(config.getBytes("max-entry-bytes")),
        config.getInt("fsync-threads"),
        config.getInt("max-open-files"));
  }

  private static void checkPositive(long value, String key) {
    if (value <= 0) {
      throw new IllegalArgumentException("runnel.segment-journal." + key + " must be positive, not " + value);
    }
  }
}
