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

  /**
   * Record batches appended to the log in one journal write (group commit): Kafka v2 record batches, each with its
   * broker-assigned base offset already written into it, concatenated. These are the bytes consumers are served.
   *
   * @param baseOffset offset of the first record of the first batch
   * @param lastOffset offset of the last record of the last batch
   * @param records the batches, never re-encoded after the producer built them
   */
  record RecordsAppended(long baseOffset, long lastOffset, byte[] records) implements PartitionEvent {
    public RecordsAppended {
      Objects.requireNonNull(records, "records");
      if (lastOffset < baseOffset) {
        throw new IllegalArgumentException("lastOffset " + lastOffset + " < baseOffset " + baseOffset);
      }
    }

    public MemoryRecords memoryRecords() {
      return MemoryRecords.readableRecords(ByteBuffer.wrap(records));
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
}
