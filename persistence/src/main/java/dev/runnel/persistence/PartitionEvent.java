package dev.runnel.persistence;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import org.apache.kafka.common.record.internal.MemoryRecords;

/**
 * An event of a partition's log. Events are facts already validated by the partition entity; the event handler
 * ({@link PartitionState#apply}) only applies them, because recovery runs it again.
 */
public sealed interface PartitionEvent {

  /** An event that holds record batches: the bytes a fetch serves. */
  sealed interface Records extends PartitionEvent {
    /** An upper bound of the offsets the batches hold, to skip the event when reading beyond it. */
    long lastOffset();

    /** Kafka v2 record batches, concatenated, with their final offsets. */
    byte[] records();

    default MemoryRecords memoryRecords() {
      return MemoryRecords.readableRecords(ByteBuffer.wrap(records()));
    }
  }

  /**
   * Record batches appended to the log in one journal write (group commit): Kafka v2 record batches, each with its
   * broker-assigned base offset already written into it, concatenated. These are the bytes consumers are served.
   *
   * @param baseOffset offset of the first record of the first batch
   * @param lastOffset offset of the last record of the last batch
   * @param records the batches, never re-encoded after the producer built them
   */
  record RecordsAppended(long baseOffset, long lastOffset, byte[] records) implements Records {
    public RecordsAppended {
      Objects.requireNonNull(records, "records");
      if (lastOffset < baseOffset) {
        throw new IllegalArgumentException("lastOffset " + lastOffset + " < baseOffset " + baseOffset);
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RecordsAppended other
          && baseOffset == other.baseOffset
          && lastOffset == other.lastOffset
          && Arrays.equals(records, other.records);
    }

    @Override
    public int hashCode() {
      return Objects.hash(baseOffset, lastOffset, Arrays.hashCode(records));
    }

    @Override
    public String toString() {
      return "RecordsAppended[" + baseOffset + ".." + lastOffset + ", " + records.length + " bytes]";
    }
  }

  /**
   * The partition's topic was deleted: the log is empty from here on and the events before this one are deleted
   * from the journal. Holding no data, it is a safe last row for the journal to keep.
   */
  record PartitionDeleted() implements PartitionEvent {}

  /**
   * Compaction replaced the log's events that hold offsets {@code fromOffset} to {@code toOffset} (whole index
   * entries, in this range and nothing else) by these batches: the surviving records of that range with their
   * original offsets, so a kept record's offset never changes. The records may be empty when nothing survived; the
   * range then becomes a gap that fetches step over, as in a compacted Kafka log.
   *
   * <p>This event is a new journal event with a higher sequence number than those it replaces; the offset index
   * points the range at it, and the replaced events become deletable once no index entry refers to them.
   */
  record RecordsCompacted(long fromOffset, long toOffset, byte[] records) implements Records {
    public RecordsCompacted {
      Objects.requireNonNull(records, "records");
      if (toOffset < fromOffset) {
        throw new IllegalArgumentException("toOffset " + toOffset + " < fromOffset " + fromOffset);
      }
    }

    @Override
    public long lastOffset() {
      return toOffset;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RecordsCompacted other
          && fromOffset == other.fromOffset
          && toOffset == other.toOffset
          && Arrays.equals(records, other.records);
    }

    @Override
    public int hashCode() {
      return Objects.hash(fromOffset, toOffset, Arrays.hashCode(records));
    }

    @Override
    public String toString() {
      return "RecordsCompacted[" + fromOffset + ".." + toOffset + ", " + records.length + " bytes]";
    }
  }

  /**
   * A compaction run finished: it cleaned the log below {@code firstDirtyOffset}, and the oldest tombstone it kept
   * has timestamp {@code oldestTombstoneTimestamp} (-1 when it kept none), so the next run is due when new data
   * becomes cleanable or that tombstone outlives {@code delete.retention.ms}. Persisted together with the run's
   * {@link RecordsCompacted} events, in one atomic write.
   */
  record LogCompacted(long firstDirtyOffset, long oldestTombstoneTimestamp) implements PartitionEvent {}

  /**
   * The log start offset moved forward to {@code logStartOffset}, by retention ({@code retention.ms},
   * {@code retention.bytes}) or by DeleteRecords. Events whose records all lie below it leave the index and become
   * deletable from the journal.
   */
  record LogStartOffsetAdvanced(long logStartOffset) implements PartitionEvent {}
}
