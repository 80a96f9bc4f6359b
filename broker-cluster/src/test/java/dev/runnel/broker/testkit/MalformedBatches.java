package dev.runnel.broker.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongFunction;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.Crc32C;

/**
 * Record batches that Kafka would refuse, one per kind of damage, each built from a good batch with only its contents
 * wrong: a changed header field or hand-written record bytes, with the CRC32C recomputed so that the CRC check alone
 * cannot catch it. Good batches are built by kafka-clients' {@link MemoryRecordsBuilder}.
 */
public final class MalformedBatches {

  /** Offsets of the v2 batch header fields (Kafka's DefaultRecordBatch layout). */
  public static final int LENGTH = 8;
  public static final int MAGIC = 16;
  public static final int CRC = 17;
  public static final int ATTRIBUTES = 21;
  public static final int LAST_OFFSET_DELTA = 23;
  public static final int BASE_TIMESTAMP = 27;
  public static final int MAX_TIMESTAMP = 35;
  public static final int PRODUCER_ID = 43;
  public static final int PRODUCER_EPOCH = 51;
  public static final int BASE_SEQUENCE = 53;
  public static final int COUNT = 57;
  public static final int HEADER = 61;

  /** The decompressed size of {@link #bomb}: above any sane test limit, tiny once compressed. */
  public static final int BOMB_BYTES = 8 << 20;

  /**
   * One kind of malformed batch.
   *
   * @param name what is wrong
   * @param error the error Kafka's rules refuse it with
   * @param bytes builds the batch for the broker's time {@code now}
   */
  public record Kind(String name, Errors error, LongFunction<ByteBuffer> bytes) {
    @Override
    public String toString() {
      return name;
    }
  }

  private MalformedBatches() {}

  /**
   * Every kind, for a broker whose decompression limit is below {@link #BOMB_BYTES} and whose topic takes
   * CreateTime timestamps within an hour ahead (Kafka's defaults).
   */
  public static List<Kind> kinds() {
    int maxInt = Integer.MAX_VALUE;
    int huge = 1 << 30;
    byte[] v = "value".getBytes(StandardCharsets.UTF_8);
    List<Kind> kinds = new ArrayList<>();
    // The record count against the records present.
    kinds.add(header("count=-1", Errors.INVALID_RECORD, COUNT, -1));
    kinds.add(header("count=0", Errors.INVALID_RECORD, COUNT, 0));
    kinds.add(header("count=n+1", Errors.INVALID_RECORD, COUNT, 4));
    kinds.add(header("count=2^31-1", Errors.INVALID_RECORD, COUNT, maxInt));
    kinds.add(new Kind("count=n+1 and lastOffsetDelta=n", Errors.CORRUPT_MESSAGE,
        now -> withHeaderInt(withHeaderInt(good(now), COUNT, 4), LAST_OFFSET_DELTA, 3)));
    kinds.add(new Kind("count=2^31-1 and lastOffsetDelta=2^31-2", Errors.CORRUPT_MESSAGE,
        now -> withHeaderInt(withHeaderInt(good(now), COUNT, maxInt), LAST_OFFSET_DELTA, maxInt - 1)));
    kinds.add(header("lastOffsetDelta=2^31-1", Errors.INVALID_RECORD, LAST_OFFSET_DELTA, maxInt));
    kinds.add(header("lastOffsetDelta=-5", Errors.INVALID_RECORD, LAST_OFFSET_DELTA, -5));
    kinds.add(header("lastOffsetDelta=-2^31", Errors.INVALID_RECORD, LAST_OFFSET_DELTA, Integer.MIN_VALUE));
    // Record offset deltas.
    kinds.add(records("descending offset deltas", Errors.INVALID_RECORD, 3,
        record(0, v), record(2, v), record(1, v)));
    kinds.add(records("repeated offset deltas", Errors.INVALID_RECORD, 3,
        record(0, v), record(0, v), record(1, v)));
    kinds.add(records("offset deltas from 1", Errors.INVALID_RECORD, 3,
        record(1, v), record(2, v), record(3, v)));
    // Lengths and varints within the record.
    kinds.add(records("negative record length", Errors.CORRUPT_MESSAGE, 1, withLength(-3, body(0, -1, null, 5, v, 0))));
    kinds.add(records("record length 2^30", Errors.CORRUPT_MESSAGE, 1, withLength(huge, body(0, -1, null, 5, v, 0))));
    kinds.add(records("negative key length", Errors.CORRUPT_MESSAGE, 1, rawRecord(body(0, -5, null, 5, v, 0))));
    kinds.add(records("key length 2^30", Errors.CORRUPT_MESSAGE, 1, rawRecord(body(0, huge, null, 5, v, 0))));
    kinds.add(records("negative value length", Errors.CORRUPT_MESSAGE, 1, rawRecord(body(0, -1, null, -7, null, 0))));
    kinds.add(records("value length 2^30", Errors.CORRUPT_MESSAGE, 1, rawRecord(body(0, -1, null, huge, null, 0))));
    kinds.add(records("2^30 headers", Errors.CORRUPT_MESSAGE, 1, rawRecord(body(0, -1, null, 5, v, huge))));
    kinds.add(records("negative header count", Errors.CORRUPT_MESSAGE, 1, rawRecord(body(0, -1, null, 5, v, -2))));
    kinds.add(records("header with a null key", Errors.CORRUPT_MESSAGE, 1,
        rawRecord(concat(body(0, -1, null, 5, v, 1), varint(-1), varint(-1)))));
    kinds.add(records("header value length 2^30", Errors.CORRUPT_MESSAGE, 1,
        rawRecord(concat(body(0, -1, null, 5, v, 1), varint(1), new byte[] {'k'}, varint(huge)))));
    kinds.add(records("bytes after a record's last field", Errors.CORRUPT_MESSAGE, 1,
        rawRecord(concat(body(0, -1, null, 5, v, 0), new byte[] {1, 2, 3}))));
    kinds.add(records("varint longer than 5 bytes", Errors.CORRUPT_MESSAGE, 1, rawRecord(
        concat(new byte[] {0}, varlong(0), new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, 0x01}))));
    kinds.add(new Kind("random bytes as records", Errors.CORRUPT_MESSAGE, now -> {
      byte[] noise = new byte[48];
      new Random(20261201L).nextBytes(noise);
      noise[0] = (byte) 0x81; // a first record length of -65, so the walk cannot get lucky with this seed
      noise[1] = 0x01;
      return batch(now, now, 3, 0, noise);
    }));
    kinds.add(new Kind("garbage after the last record", Errors.CORRUPT_MESSAGE,
        now -> batch(now, now, 1, 0, concat(record(0, v), new byte[] {9, 9, 9, 9, 9}))));
    kinds.add(new Kind("garbage after the last batch", Errors.CORRUPT_MESSAGE,
        now -> ByteBuffer.wrap(concat(array(good(now)), new byte[] {0, 1, 2, 3, 4, 5, 6}))));
    kinds.add(new Kind("truncated batch", Errors.CORRUPT_MESSAGE,
        now -> ByteBuffer.wrap(array(good(now)), 0, array(good(now)).length - 4).slice()));
    kinds.add(new Kind("bad CRC", Errors.CORRUPT_MESSAGE, now -> {
      ByteBuffer batch = good(now);
      batch.put(batch.limit() - 1, (byte) (batch.get(batch.limit() - 1) ^ 0x21));
      return batch;
    }));
    kinds.add(new Kind("magic 1", Errors.INVALID_RECORD, now -> {
      ByteBuffer batch = good(now);
      batch.put(MAGIC, (byte) 1);
      return batch;
    }));
    // Attributes: codec, timestamp type, transactional and control bits.
    kinds.add(attributes("codec id 5", Errors.CORRUPT_MESSAGE, 5));
    kinds.add(attributes("codec id 7", Errors.CORRUPT_MESSAGE, 7));
    kinds.add(attributes("gzip attribute over plain records", Errors.CORRUPT_MESSAGE, 1));
    kinds.add(attributes("snappy attribute over plain records", Errors.CORRUPT_MESSAGE, 2));
    kinds.add(attributes("lz4 attribute over plain records", Errors.CORRUPT_MESSAGE, 3));
    kinds.add(attributes("zstd attribute over plain records", Errors.CORRUPT_MESSAGE, 4));
    kinds.add(attributes("LogAppendTime set by the producer", Errors.INVALID_TIMESTAMP, 0x08));
    kinds.add(attributes("transactional batch without a producer id", Errors.INVALID_RECORD, 0x10));
    kinds.add(attributes("control batch", Errors.INVALID_RECORD, 0x20));
    kinds.add(new Kind("decompression bomb", Errors.MESSAGE_TOO_LARGE, MalformedBatches::bomb));
    // Timestamps.
    kinds.add(new Kind("negative base timestamp", Errors.INVALID_TIMESTAMP,
        now -> withHeaderLong(withHeaderLong(good(now), BASE_TIMESTAMP, -5), MAX_TIMESTAMP, -5)));
    kinds.add(new Kind("negative record timestamp", Errors.INVALID_TIMESTAMP,
        now -> batch(now, -10, 1, 0, rawRecord(body(-now - 10, -1, null, 5, v, 0)))));
    kinds.add(new Kind("maxTimestamp < baseTimestamp", Errors.INVALID_TIMESTAMP,
        now -> withHeaderLong(good(now), MAX_TIMESTAMP, now - 1000)));
    kinds.add(new Kind("maxTimestamp beyond the newest record", Errors.INVALID_TIMESTAMP,
        now -> withHeaderLong(good(now), MAX_TIMESTAMP, now + 1000)));
    kinds.add(new Kind("timestamp two hours ahead", Errors.INVALID_TIMESTAMP,
        now -> good(now + 7_200_000L)));
    // Producer fields.
    kinds.add(new Kind("producerId=-5", Errors.INVALID_RECORD, now -> withHeaderLong(good(now), PRODUCER_ID, -5)));
    kinds.add(new Kind("random producer id with a negative sequence", Errors.INVALID_RECORD,
        now -> producer(good(now), 8_472_619_331L, (short) 0, -17)));
    kinds.add(new Kind("producer id with a negative epoch", Errors.INVALID_RECORD,
        now -> producer(good(now), 41L, (short) -3, 0)));
    return kinds;
  }

  /** A good uncompressed batch of three records at {@code now}, built by kafka-clients. */
  public static ByteBuffer good(long now) {
    return good(now, Compression.NONE, "good-0", "good-1", "good-2");
  }

  /** A good batch of {@code values} at {@code now} with {@code compression}, built by kafka-clients. */
  public static ByteBuffer good(long now, Compression compression, String... values) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), compression,
        TimestampType.CREATE_TIME, 0L);
    for (String value : values) {
      builder.append(now, null, value.getBytes(StandardCharsets.UTF_8));
    }
    return builder.build().buffer();
  }

  /** One gzip batch of a single record whose value is {@link #BOMB_BYTES} zero bytes. */
  public static ByteBuffer bomb(long now) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(64 << 10), Compression.gzip().build(),
        TimestampType.CREATE_TIME, 0L);
    builder.append(now, null, new byte[BOMB_BYTES]);
    return builder.build().buffer();
  }

  /** A copy of the one batch in {@code batch} with a 32-bit header field changed and the CRC recomputed. */
  public static ByteBuffer withHeaderInt(ByteBuffer batch, int offset, int value) {
    ByteBuffer copy = copy(batch);
    copy.putInt(offset, value);
    return withCrc(copy);
  }

  /** A copy with a 64-bit header field changed and the CRC recomputed. */
  public static ByteBuffer withHeaderLong(ByteBuffer batch, int offset, long value) {
    ByteBuffer copy = copy(batch);
    copy.putLong(offset, value);
    return withCrc(copy);
  }

  /** The buffer's one batch with its CRC32C recomputed over its contents. */
  public static ByteBuffer withCrc(ByteBuffer batch) {
    int size = batch.getInt(LENGTH) + 12;
    batch.putInt(CRC, (int) Crc32C.compute(batch, ATTRIBUTES, size - ATTRIBUTES));
    return batch;
  }

  /** A copy of the one batch in {@code batch} with these producer fields and its CRC recomputed. */
  public static ByteBuffer producer(ByteBuffer batch, long producerId, short epoch, int sequence) {
    ByteBuffer copy = copy(batch);
    copy.putLong(PRODUCER_ID, producerId);
    copy.putShort(PRODUCER_EPOCH, epoch);
    copy.putInt(BASE_SEQUENCE, sequence);
    return withCrc(copy);
  }

  private static Kind header(String name, Errors error, int offset, int value) {
    return new Kind(name, error, now -> withHeaderInt(good(now), offset, value));
  }

  private static Kind attributes(String name, Errors error, int attributes) {
    return new Kind(name, error, now -> {
      ByteBuffer copy = copy(good(now));
      copy.putShort(ATTRIBUTES, (short) attributes);
      return withCrc(copy);
    });
  }

  private static Kind records(String name, Errors error, int count, byte[]... records) {
    return new Kind(name, error, now -> batch(now, now, count, 0, concat(records)));
  }

  /**
   * A v2 batch around hand-written record bytes: base offset 0, {@code lastOffsetDelta = count - 1}, no producer,
   * CreateTime, a valid CRC.
   */
  public static ByteBuffer batch(long baseTimestamp, long maxTimestamp, int count, int attributes, byte[] records) {
    ByteBuffer batch = ByteBuffer.allocate(HEADER + records.length);
    batch.putLong(0L)
        .putInt(HEADER + records.length - 12)
        .putInt(RecordBatch.NO_PARTITION_LEADER_EPOCH)
        .put(RecordBatch.MAGIC_VALUE_V2)
        .putInt(0)
        .putShort((short) attributes)
        .putInt(count - 1)
        .putLong(baseTimestamp)
        .putLong(maxTimestamp)
        .putLong(RecordBatch.NO_PRODUCER_ID)
        .putShort(RecordBatch.NO_PRODUCER_EPOCH)
        .putInt(RecordBatch.NO_SEQUENCE)
        .putInt(count)
        .put(records);
    return withCrc(batch.flip());
  }

  /** A well-formed record with offset delta {@code offsetDelta}, timestamp delta 0, no key, no headers. */
  public static byte[] record(int offsetDelta, byte[] value) {
    return rawRecord(concat(new byte[] {0}, varlong(0), varint(offsetDelta), varint(-1), varint(value.length), value,
        varint(0)));
  }

  /** A record body (everything after its length) with the lengths given, whether or not the bytes follow. */
  private static byte[] body(long timestampDelta, int keyLength, byte[] key, int valueLength, byte[] value,
      int headers) {
    return concat(new byte[] {0}, varlong(timestampDelta), varint(0), varint(keyLength), key == null ? new byte[0] : key,
        varint(valueLength), value == null ? new byte[0] : value, varint(headers));
  }

  private static byte[] rawRecord(byte[] body) {
    return withLength(body.length, body);
  }

  private static byte[] withLength(int length, byte[] body) {
    return concat(varint(length), body);
  }

  private static byte[] varint(int value) {
    return varlong(value);
  }

  private static byte[] varlong(long value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long raw = (value << 1) ^ (value >> 63);
    while ((raw & ~0x7FL) != 0) {
      out.write((int) ((raw & 0x7F) | 0x80));
      raw >>>= 7;
    }
    out.write((int) raw);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static ByteBuffer copy(ByteBuffer batch) {
    return ByteBuffer.wrap(array(batch));
  }

  private static byte[] array(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }
}
