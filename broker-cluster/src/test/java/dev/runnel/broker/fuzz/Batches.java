package dev.runnel.broker.fuzz;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32C;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

/**
 * Kafka v2 record batches for the doors that take batches: valid ones, and malformed ones of the kinds a
 * careless or hostile producer sends (record counts and offset deltas that disagree with the records, odd
 * lengths, codecs, timestamps, producer ids, trailing or random bytes), each with its CRC recomputed so that only
 * the contents are wrong. Layout as in Kafka's {@code DefaultRecordBatch}.
 */
final class Batches {

  private static final int LENGTH = 8;
  private static final int CRC = 17;
  private static final int ATTRIBUTES = 21;
  private static final int LAST_OFFSET_DELTA = 23;
  private static final int BASE_TIMESTAMP = 27;
  private static final int MAX_TIMESTAMP = 35;
  private static final int PRODUCER_ID = 43;
  private static final int BASE_SEQUENCE = 53;
  private static final int RECORDS_COUNT = 57;
  private static final int RECORDS = 61;

  /** The malformed kinds; {@link #malformed} makes one of each. */
  static final int KINDS = 16;

  private Batches() {}

  static byte[] valid(Random random, int records) {
    SimpleRecord[] simple = new SimpleRecord[records];
    long now = System.currentTimeMillis();
    for (int i = 0; i < records; i++) {
      simple[i] = new SimpleRecord(now, ("k" + i).getBytes(StandardCharsets.UTF_8),
          ("fuzz-" + random.nextInt(1000)).getBytes(StandardCharsets.UTF_8));
    }
    ByteBuffer buffer = MemoryRecords.withRecords(Compression.NONE, simple).buffer();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  /** A batch of three records spoiled the {@code kind} way (0 to {@link #KINDS} - 1), CRC recomputed. */
  static byte[] malformed(Random random, int kind) {
    byte[] batch = valid(random, 3);
    ByteBuffer view = ByteBuffer.wrap(batch);
    switch (kind) {
      case 0: view.putInt(RECORDS_COUNT, -1); break;
      case 1: view.putInt(RECORDS_COUNT, 0); break;
      case 2: view.putInt(RECORDS_COUNT, 4); break;
      case 3: view.putInt(RECORDS_COUNT, Integer.MAX_VALUE); break;
      case 4: view.putInt(LAST_OFFSET_DELTA, Integer.MAX_VALUE); break;
      case 5: view.putInt(LAST_OFFSET_DELTA, -5); break;
      case 6:
        // The first record's length varint: -1 (zigzag 1).
        batch[RECORDS] = 1;
        break;
      case 7: {
        // Random bytes as records.
        byte[] noise = new byte[batch.length - RECORDS];
        random.nextBytes(noise);
        System.arraycopy(noise, 0, batch, RECORDS, noise.length);
        break;
      }
      case 8:
        batch = Arrays.copyOf(batch, batch.length + 1 + random.nextInt(20));
        view = ByteBuffer.wrap(batch);
        view.putInt(LENGTH, batch.length - 12);
        break;
      case 9: view.putShort(ATTRIBUTES, (short) 5); break;
      case 10: view.putShort(ATTRIBUTES, (short) (1 + random.nextInt(4))); break;
      case 11: view.putLong(BASE_TIMESTAMP, -5 - random.nextInt(1000)); break;
      case 12: view.putLong(MAX_TIMESTAMP, view.getLong(BASE_TIMESTAMP) - 1000); break;
      case 13: view.putLong(PRODUCER_ID, -5); break;
      case 14:
        view.putLong(PRODUCER_ID, random.nextLong() & Long.MAX_VALUE);
        view.putInt(BASE_SEQUENCE, random.nextInt(Integer.MAX_VALUE));
        break;
      default: {
        // The first record's length (a one-byte varint here) replaced by 2^30 as a five-byte varint.
        byte[] longer = new byte[batch.length + 4];
        System.arraycopy(batch, 0, longer, 0, RECORDS);
        byte[] huge = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08};
        System.arraycopy(huge, 0, longer, RECORDS, huge.length);
        System.arraycopy(batch, RECORDS + 1, longer, RECORDS + huge.length, batch.length - RECORDS - 1);
        batch = longer;
        ByteBuffer.wrap(batch).putInt(LENGTH, batch.length - 12);
        break;
      }
    }
    return withCrc(batch);
  }

  /** A valid batch with a few bits flipped after the CRC field and the CRC recomputed over them. */
  static byte[] bitFlipped(Random random) {
    byte[] batch = valid(random, 1 + random.nextInt(4));
    for (int i = 0; i < 1 + random.nextInt(3); i++) {
      int at = ATTRIBUTES + random.nextInt(batch.length - ATTRIBUTES);
      batch[at] ^= (byte) (1 << random.nextInt(8));
    }
    return withCrc(batch);
  }

  static byte[] withCrc(byte[] batch) {
    CRC32C crc = new CRC32C();
    crc.update(batch, ATTRIBUTES, batch.length - ATTRIBUTES);
    ByteBuffer.wrap(batch).putInt(CRC, (int) crc.getValue());
    return batch;
  }
}
