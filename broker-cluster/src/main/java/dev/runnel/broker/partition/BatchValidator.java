package dev.runnel.broker.partition;

import dev.runnel.broker.topic.TopicConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;

/**
 * The one check every append passes before it reaches a partition, whatever door it came through: the bytes must be
 * whole Kafka v2 record batches that Kafka's own consumer can read to the end, in the spirit of Kafka's
 * {@code LogValidator}. It walks every batch and every record without building record objects:
 *
 * <ul>
 *   <li>the batch: length within the bytes, magic 2, CRC32C, codec id 0 to 4, no producer-set LogAppendTime, no
 *       control batch (the broker writes those, as transaction markers), no transactional batch without a producer
 *       id, at most {@code max.message.bytes};
 *   <li>the count: at least one record, {@code lastOffsetDelta == count - 1}, record offset deltas exactly 0, 1, 2, …,
 *       as many records as the header declares and no byte after the last;
 *   <li>each record: its length, key, value and header lengths and varints within the record, no bytes left over;
 *       on a compacted topic a key on every record;
 *   <li>compressed batches: decompressed with kafka-clients' codecs, at most {@code maxDecompressedBytes} (no
 *       decompression bomb), then walked like the others;
 *   <li>timestamps, for CreateTime topics: no record timestamp below -1 ({@link RecordBatch#NO_TIMESTAMP}), within
 *       {@code message.timestamp.before.max.ms} / {@code message.timestamp.after.max.ms} of now (KIP-937), and the
 *       batch's maxTimestamp equal to the newest record's; LogAppendTime topics get the append time from the
 *       partition, which overwrites the batch's ({@link LogAppender});
 *   <li>producer fields: producer id -1 with epoch -1 and sequence -1, or a producer id of at least 0 with epoch
 *       and sequence of at least 0; a producer id this broker never handed out is accepted (as Kafka does, it just
 *       starts that producer's state); an idempotent producer sends one batch per partition.
 * </ul>
 *
 * <p>Structural damage is refused with {@link CorruptRecordException} (CORRUPT_MESSAGE), a well-formed batch that
 * breaks a rule with {@link InvalidRecordException} (INVALID_RECORD) or {@link InvalidTimestampException}
 * (INVALID_TIMESTAMP), as Kafka does. No other exception leaves {@link #validate}, whatever the bytes. Stateless and
 * thread-safe.
 */
public final class BatchValidator {

  /** Kafka's v2 batch header layout (DefaultRecordBatch). */
  private static final int LENGTH_OFFSET = 8;
  private static final int LOG_OVERHEAD = 12;
  private static final int MAGIC_OFFSET = 16;
  private static final int CRC_OFFSET = 17;
  private static final int ATTRIBUTES_OFFSET = 21;
  private static final int LAST_OFFSET_DELTA_OFFSET = 23;
  private static final int BASE_TIMESTAMP_OFFSET = 27;
  private static final int MAX_TIMESTAMP_OFFSET = 35;
  private static final int PRODUCER_ID_OFFSET = 43;
  private static final int PRODUCER_EPOCH_OFFSET = 51;
  private static final int BASE_SEQUENCE_OFFSET = 53;
  private static final int RECORDS_COUNT_OFFSET = 57;
  private static final int HEADER_BYTES = DefaultRecordBatch.RECORD_BATCH_OVERHEAD;

  private static final int COMPRESSION_MASK = 0x07;
  private static final int TIMESTAMP_TYPE_MASK = 0x08;
  private static final int TRANSACTIONAL_MASK = 0x10;
  private static final int CONTROL_MASK = 0x20;
  private static final int MAX_CODEC_ID = 4;

  /**
   * The topic's rules an append is checked against.
   *
   * @param maxMessageBytes the topic's {@code max.message.bytes}, the largest batch
   * @param compacted whether every record needs a key
   * @param logAppendTime whether the topic's {@code message.timestamp.type} is LogAppendTime, so record timestamps
   *     are the producer's business and only the append time counts
   * @param timestampBeforeMaxMs how far in the past a CreateTime record may be ({@code Long.MAX_VALUE}: any)
   * @param timestampAfterMaxMs how far in the future a CreateTime record may be
   * @param maxDecompressedBytes the most bytes one compressed batch may decompress to
   */
  public record Rules(
      int maxMessageBytes,
      boolean compacted,
      boolean logAppendTime,
      long timestampBeforeMaxMs,
      long timestampAfterMaxMs,
      int maxDecompressedBytes) {

    public static Rules of(TopicConfig config, int maxDecompressedBytes) {
      return new Rules(config.maxMessageBytes(), config.compact(),
          config.messageTimestampType() == TimestampType.LOG_APPEND_TIME,
          config.messageTimestampBeforeMaxMs(), config.messageTimestampAfterMaxMs(), maxDecompressedBytes);
    }
  }

  /**
   * What a valid append holds.
   *
   * @param batches its record batches
   * @param records the records of all of them
   * @param compressed whether any batch is compressed
   */
  public record Summary(int batches, long records, boolean compressed) {}

  private BatchValidator() {}

  /**
   * Checks the bytes from {@code records}' position to its limit (neither is moved; nothing is written).
   *
   * @param now the broker's time, for the timestamp bounds
   * @throws ApiException the Kafka error that refuses the append, naming the batch and record at fault
   */
  public static Summary validate(ByteBuffer records, Rules rules, long now) {
    try {
      return walk(records, rules, now);
    } catch (ApiException e) {
      throw e;
    } catch (RuntimeException e) {
      // Defense in depth: the walk bounds every read, so this is a bug here, never a reason to store the bytes.
      throw new CorruptRecordException("Record batches could not be validated: " + e, e);
    }
  }

  private static Summary walk(ByteBuffer records, Rules rules, long now) {
    int start = records.position();
    int end = records.limit();
    if (start == end) {
      throw new CorruptRecordException("The append carries no record batches");
    }
    int batches = 0;
    long total = 0;
    boolean compressed = false;
    boolean idempotent = false;
    int position = start;
    while (position < end) {
      int remaining = end - position;
      if (remaining < HEADER_BYTES) {
        throw new CorruptRecordException("Batch " + batches + " at byte " + (position - start) + ": " + remaining
            + " bytes left, too few for a record batch header (" + HEADER_BYTES + ")");
      }
      int length = records.getInt(position + LENGTH_OFFSET);
      long size = LOG_OVERHEAD + (long) length;
      if (length < HEADER_BYTES - LOG_OVERHEAD || size > remaining) {
        throw new CorruptRecordException("Batch " + batches + " declares a length of " + length + " bytes, but "
            + (remaining - LOG_OVERHEAD) + " follow its length field");
      }
      byte magic = records.get(position + MAGIC_OFFSET);
      if (magic != RecordBatch.MAGIC_VALUE_V2) {
        throw new InvalidRecordException("Batch " + batches + " has magic " + magic + "; only v2 (magic 2) is accepted");
      }
      if (size > rules.maxMessageBytes()) {
        throw new RecordTooLargeException("The record batch of " + size + " bytes is larger than max.message.bytes "
            + rules.maxMessageBytes());
      }
      long storedCrc = Integer.toUnsignedLong(records.getInt(position + CRC_OFFSET));
      long computedCrc = crc32c(records, position + ATTRIBUTES_OFFSET, position + (int) size);
      if (storedCrc != computedCrc) {
        throw new CorruptRecordException("Batch " + batches + " has CRC " + storedCrc + " but its bytes give "
            + computedCrc);
      }
      BatchHeader header = BatchHeader.read(records, position, batches);
      header.check(rules);
      if (batches > 0 && (idempotent || header.producerId() >= 0)) {
        throw new InvalidRecordException("An idempotent producer must send one batch per partition per request");
      }
      idempotent = header.producerId() >= 0;
      int recordsStart = position + HEADER_BYTES;
      int recordsEnd = position + (int) size;
      long maxTimestamp;
      if (header.codecId() == 0) {
        maxTimestamp = RecordWalk.walk(records, recordsStart, recordsEnd, header, rules, now);
      } else {
        compressed = true;
        ByteBuffer plain = decompress(records, recordsStart, recordsEnd, header, rules.maxDecompressedBytes());
        maxTimestamp = RecordWalk.walk(plain, 0, plain.limit(), header, rules, now);
      }
      if (!rules.logAppendTime() && maxTimestamp != header.maxTimestamp()) {
        throw new InvalidTimestampException("Batch " + batches + " declares maxTimestamp " + header.maxTimestamp()
            + " but its newest record has timestamp " + maxTimestamp);
      }
      total += header.count();
      batches++;
      position = recordsEnd;
    }
    return new Summary(batches, total, compressed);
  }

  /**
   * The CRC32C of bytes {@code from} to {@code to} (absolute positions) of {@code buffer}, as a v2 batch header stores
   * it. The JDK's CRC32C runs its intrinsic over a heap buffer's array or a direct buffer's memory, and over a
   * read-only heap buffer in copied chunks; kafka-clients' {@code Crc32C.compute} would go byte by byte over the
   * latter, and counts its offset from the buffer's position.
   */
  private static long crc32c(ByteBuffer buffer, int from, int to) {
    CRC32C crc = new CRC32C();
    crc.update(buffer.duplicate().limit(to).position(from));
    return crc.getValue();
  }

  /** The records section of a compressed batch, decompressed with the batch's codec, at most {@code max} bytes. */
  private static ByteBuffer decompress(ByteBuffer records, int from, int to, BatchHeader header, int max) {
    ByteBuffer section = records.duplicate().limit(to).position(from).slice();
    CompressionType type = CompressionType.forId(header.codecId());
    byte[] out = new byte[Math.min(max, Math.max(1024, (to - from) * 4))];
    int length = 0;
    try (InputStream in = Compression.of(type).build()
        .wrapForInput(section, RecordBatch.MAGIC_VALUE_V2, BufferSupplier.NO_CACHING)) {
      while (true) {
        if (length == out.length) {
          if (length >= max) {
            if (in.read() < 0) {
              break;
            }
            throw new RecordTooLargeException("Batch " + header.index() + " (" + type.name
                + ") decompresses to more than " + max + " bytes, the limit "
                + "runnel.broker.append-validation.max-decompressed-batch-bytes");
          }
          out = Arrays.copyOf(out, (int) Math.min(max, 2L * out.length));
        }
        int read = in.read(out, length, out.length - length);
        if (read < 0) {
          break;
        }
        if (read == 0) {
          // Not allowed by InputStream's contract, but a codec stream that does it must not spin here.
          int next = in.read();
          if (next < 0) {
            break;
          }
          out[length++] = (byte) next;
        }
        length += read;
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ApiException api) {
        throw api;
      }
      throw new CorruptRecordException("Batch " + header.index() + " does not decompress as " + type.name + ": "
          + e.getMessage(), e);
    }
    return ByteBuffer.wrap(out, 0, length);
  }

  /** The fields of one batch header that the checks need. */
  private record BatchHeader(
      int index,
      int attributes,
      int lastOffsetDelta,
      long baseTimestamp,
      long maxTimestamp,
      long producerId,
      short producerEpoch,
      int baseSequence,
      int count) {

    static BatchHeader read(ByteBuffer buffer, int position, int index) {
      return new BatchHeader(
          index,
          buffer.getShort(position + ATTRIBUTES_OFFSET) & 0xffff,
          buffer.getInt(position + LAST_OFFSET_DELTA_OFFSET),
          buffer.getLong(position + BASE_TIMESTAMP_OFFSET),
          buffer.getLong(position + MAX_TIMESTAMP_OFFSET),
          buffer.getLong(position + PRODUCER_ID_OFFSET),
          buffer.getShort(position + PRODUCER_EPOCH_OFFSET),
          buffer.getInt(position + BASE_SEQUENCE_OFFSET),
          buffer.getInt(position + RECORDS_COUNT_OFFSET));
    }

    int codecId() {
      return attributes & COMPRESSION_MASK;
    }

    void check(Rules rules) {
      String batch = "Batch " + index;
      if (codecId() > MAX_CODEC_ID) {
        throw new CorruptRecordException(batch + " names compression codec " + codecId() + "; valid ids are 0 to "
            + MAX_CODEC_ID);
      }
      if ((attributes & TIMESTAMP_TYPE_MASK) != 0) {
        throw new InvalidTimestampException(batch + " has timestamp type LogAppendTime; a producer must send "
            + "CreateTime (the broker sets LogAppendTime where the topic asks for it)");
      }
      if ((attributes & CONTROL_MASK) != 0) {
        throw new InvalidRecordException(batch + " is a control batch; only the broker writes control batches");
      }
      if ((attributes & TRANSACTIONAL_MASK) != 0 && producerId < 0) {
        throw new InvalidRecordException(batch + " is transactional but has no producer id");
      }
      if (count <= 0) {
        throw new InvalidRecordException(batch + " declares " + count + " records; a batch holds at least one");
      }
      if (lastOffsetDelta != count - 1) {
        throw new InvalidRecordException(batch + " has lastOffsetDelta " + lastOffsetDelta + " but declares " + count
            + " records (expected " + (count - 1L) + ")");
      }
      if (producerId < RecordBatch.NO_PRODUCER_ID) {
        throw new InvalidRecordException(batch + " has producer id " + producerId + "; -1 (none) or a non-negative id");
      }
      if (producerId == RecordBatch.NO_PRODUCER_ID
          && (producerEpoch != RecordBatch.NO_PRODUCER_EPOCH || baseSequence != RecordBatch.NO_SEQUENCE)) {
        throw new InvalidRecordException(batch + " has no producer id but producer epoch " + producerEpoch
            + " and base sequence " + baseSequence + "; both must be -1 without one");
      }
      if (producerId >= 0 && (producerEpoch < 0 || baseSequence < 0)) {
        throw new InvalidRecordException(batch + " of producer " + producerId + " has producer epoch "
            + producerEpoch + " and base sequence " + baseSequence + "; an idempotent batch needs both at least 0");
      }
      if (!rules.logAppendTime() && baseTimestamp < RecordBatch.NO_TIMESTAMP) {
        throw new InvalidTimestampException(batch + " has base timestamp " + baseTimestamp
            + "; timestamps are -1 (none) or at least 0");
      }
    }
  }

  /**
   * A walk over the records of one batch: bounded reads, every varint and length checked against the end of its
   * record, nothing allocated. Answers the newest record timestamp.
   */
  private static final class RecordWalk {
    private final ByteBuffer buffer;
    private final BatchHeader header;
    private int position;

    private RecordWalk(ByteBuffer buffer, int position, BatchHeader header) {
      this.buffer = buffer;
      this.position = position;
      this.header = header;
    }

    static long walk(ByteBuffer buffer, int from, int to, BatchHeader header, Rules rules, long now) {
      RecordWalk walk = new RecordWalk(buffer, from, header);
      long maxTimestamp = RecordBatch.NO_TIMESTAMP;
      for (int i = 0; i < header.count(); i++) {
        if (walk.position >= to) {
          throw walk.corrupt(i, "missing: the batch declares " + header.count() + " records but holds " + i);
        }
        long timestamp = walk.record(i, to, rules, now);
        maxTimestamp = Math.max(maxTimestamp, timestamp);
      }
      if (walk.position != to) {
        throw new CorruptRecordException("Batch " + header.index() + " has " + (to - walk.position)
            + " bytes after its last (" + header.count() + "th) record");
      }
      return maxTimestamp;
    }

    /** Walks record {@code i}, which must end within {@code limit}; answers its timestamp. */
    private long record(int i, int limit, Rules rules, long now) {
      int length = varint(i, limit, "length");
      if (length < 0 || length > limit - position) {
        throw corrupt(i, "has length " + length + " but " + (limit - position) + " bytes remain in the batch");
      }
      int end = position + length;
      if (length < 1) {
        throw corrupt(i, "has length 0, too short for its attributes");
      }
      position++; // record attributes: unused in v2
      long timestampDelta = varlong(i, end, "timestamp delta");
      int offsetDelta = varint(i, end, "offset delta");
      if (offsetDelta != i) {
        throw new InvalidRecordException("Batch " + header.index() + ": record " + i + " has offset delta "
            + offsetDelta + "; record offset deltas must be 0, 1, 2, … in order");
      }
      int keyLength = varint(i, end, "key length");
      if (keyLength < 0 && rules.compacted()) {
        throw new InvalidRecordException("Compacted topic cannot accept message without key (batch "
            + header.index() + ", offset delta " + i + ")");
      }
      skip(i, end, keyLength, true, "key");
      skip(i, end, varint(i, end, "value length"), true, "value");
      int headers = varint(i, end, "header count");
      // A header takes at least two bytes (two one-byte varints), so a count beyond half the rest is a lie.
      if (headers < 0 || headers > (end - position) / 2) {
        throw corrupt(i, "declares " + headers + " headers in " + (end - position) + " bytes");
      }
      for (int h = 0; h < headers; h++) {
        skip(i, end, varint(i, end, "header key length"), false, "header " + h + " key");
        skip(i, end, varint(i, end, "header value length"), true, "header " + h + " value");
      }
      if (position != end) {
        throw corrupt(i, "has " + (end - position) + " bytes after its last field");
      }
      return timestamp(i, timestampDelta, rules, now);
    }

    private long timestamp(int i, long delta, Rules rules, long now) {
      long timestamp;
      try {
        timestamp = Math.addExact(header.baseTimestamp(), delta);
      } catch (ArithmeticException e) {
        throw new InvalidTimestampException("Batch " + header.index() + ": record " + i + "'s timestamp overflows");
      }
      if (rules.logAppendTime() || timestamp == RecordBatch.NO_TIMESTAMP) {
        return timestamp;
      }
      if (timestamp < 0) {
        throw new InvalidTimestampException("Batch " + header.index() + ": record " + i + " has timestamp "
            + timestamp + "; timestamps are -1 (none) or at least 0");
      }
      if (now - timestamp > rules.timestampBeforeMaxMs()) {
        throw new InvalidTimestampException("Batch " + header.index() + ": record " + i + " has timestamp "
            + timestamp + ", more than message.timestamp.before.max.ms (" + rules.timestampBeforeMaxMs()
            + ") before the broker's time " + now);
      }
      if (timestamp - now > rules.timestampAfterMaxMs()) {
        throw new InvalidTimestampException("Batch " + header.index() + ": record " + i + " has timestamp "
            + timestamp + ", more than message.timestamp.after.max.ms (" + rules.timestampAfterMaxMs()
            + ") after the broker's time " + now);
      }
      return timestamp;
    }

    private void skip(int i, int end, int length, boolean nullable, String field) {
      if (length == -1 && nullable) {
        return;
      }
      if (length < 0 || length > end - position) {
        throw corrupt(i, "has " + field + " length " + length + " but " + (end - position)
            + " bytes remain in the record");
      }
      position += length;
    }

    /** A zig-zag varint of at most 5 bytes, all before {@code end}. */
    private int varint(int i, int end, String field) {
      int raw = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        if (position >= end) {
          throw corrupt(i, "has its " + field + " cut off");
        }
        byte b = buffer.get(position++);
        raw |= (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return (raw >>> 1) ^ -(raw & 1);
        }
      }
      throw corrupt(i, "has a " + field + " varint longer than 5 bytes");
    }

    /** A zig-zag varlong of at most 10 bytes, all before {@code end}. */
    private long varlong(int i, int end, String field) {
      long raw = 0;
      for (int shift = 0; shift < 70; shift += 7) {
        if (position >= end) {
          throw corrupt(i, "has its " + field + " cut off");
        }
        byte b = buffer.get(position++);
        raw |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return (raw >>> 1) ^ -(raw & 1);
        }
      }
      throw corrupt(i, "has a " + field + " varlong longer than 10 bytes");
    }

    private CorruptRecordException corrupt(int i, String what) {
      return new CorruptRecordException("Batch " + header.index() + ": record " + i + " " + what);
    }
  }
}
