package dev.runnel.persistence;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;

/** Record batches for tests, with offsets assigned as the partition entity does. */
final class Batches {

  private Batches() {}

  static byte[] batch(long baseOffset, long timestamp, String... values) {
    return batch(baseOffset, timestamp, -1, (short) -1, -1, values);
  }

  static byte[] batch(long baseOffset, long timestamp, long producerId, short epoch, int sequence, String... values) {
    return batch(baseOffset, timestamp, producerId, epoch, sequence, false, values);
  }

  static byte[] transactional(long baseOffset, long producerId, short epoch, int sequence, String... values) {
    return batch(baseOffset, 1000, producerId, epoch, sequence, true, values);
  }

  /** A COMMIT or ABORT marker at {@code offset}, as the partition writes it. */
  static byte[] marker(long offset, long producerId, short epoch, boolean commit) {
    ByteBuffer buffer = MemoryRecords.withEndTransactionMarker(offset, 1000, 0, producerId, epoch,
        new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 0)).buffer();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private static byte[] batch(long baseOffset, long timestamp, long producerId, short epoch, int sequence,
      boolean transactional, String... values) {
    SimpleRecord[] records = new SimpleRecord[values.length];
    for (int i = 0; i < values.length; i++) {
      records[i] = new SimpleRecord(timestamp, null, values[i].getBytes(StandardCharsets.UTF_8));
    }
    MemoryRecords memory = transactional
        ? MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, sequence, records)
        : producerId >= 0
        ? MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, sequence, records)
        : MemoryRecords.withRecords(Compression.NONE, records);
    ByteBuffer buffer = memory.buffer();
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(buffer.duplicate()).batches()) {
      batch.setLastOffset(baseOffset + values.length - 1);
    }
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
