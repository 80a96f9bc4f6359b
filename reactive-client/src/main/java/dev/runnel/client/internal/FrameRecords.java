package dev.runnel.client.internal;

import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.Header;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Utils;
import org.apache.pekko.util.ByteString;

/**
 * The records of one Records frame, decoded one at a time as they are taken rather than all when the frame
 * arrives: a buffered frame costs its bytes, not an object per record, and a record is decoded just before it is
 * pushed. The frame's bytes are not copied into one array either: a frame arrives in the pieces the socket read,
 * and only a batch that spans two pieces is copied, into an array of its own size (copying whole frames of a
 * megabyte made each a humongous G1 allocation).
 *
 * <p>The batches are scanned (headers only) on arrival, so {@link #nextToReceive} is known at once: records a
 * batch repeats below the offset expected, and control batches, are skipped as the broker sends them again after a
 * reconnect or as transaction markers.
 */
final class FrameRecords {

  /** A batch's base offset (8 bytes) and length (4 bytes) come before the length counts. */
  private static final int LOG_OVERHEAD = 12;
  private static final int LENGTH_OFFSET = 8;

  private record Pending(RecordBatch batch, long from) {}

  private final String topic;
  private final int partition;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final long nextToReceive;
  private Iterator<Record> records = Collections.emptyIterator();
  private long from;

  /**
   * Reads the batches of a frame from offset {@code nextToReceive} on.
   *
   * @throws CorruptRecordException when a batch's length is smaller than a batch header
   */
  FrameRecords(String topic, int partition, ByteString batches, long nextToReceive) {
    this.topic = topic;
    this.partition = partition;
    long next = nextToReceive;
    for (ByteBuffer buffer : split(batches)) {
      for (RecordBatch batch : MemoryRecords.readableRecords(buffer).batches()) {
        if (batch.lastOffset() >= next && !batch.isControlBatch()) {
          pending.add(new Pending(batch, next));
        }
        next = Math.max(next, batch.nextOffset());
      }
    }
    this.nextToReceive = next;
  }

  /** The offset after the last record of the frame (or the offset expected, if the frame repeats only). */
  long nextToReceive() {
    return nextToReceive;
  }

  /** The frame's next record, or null when it has no more. */
  ConsumerRecord next() {
    while (true) {
      while (records.hasNext()) {
        Record record = records.next();
        if (record.offset() >= from) {
          return new ConsumerRecord(topic, partition, record.offset(), record.timestamp(),
              Utils.toNullableArray(record.key()), Utils.toNullableArray(record.value()), headers(record));
        }
      }
      Pending batch = pending.poll();
      if (batch == null) {
        return null;
      }
      records = batch.batch().iterator();
      from = batch.from();
    }
  }

  /**
   * The batches of {@code batches}, a buffer each; a trailing partial batch is left out, as Kafka's readers leave
   * it. A batch within one piece of the ByteString is a view of it; one across pieces is copied.
   */
  static List<ByteBuffer> split(ByteString batches) {
    List<ByteBuffer> result = new ArrayList<>();
    int position = 0;
    while (batches.size() - position >= LOG_OVERHEAD) {
      int length = intAt(batches, position + LENGTH_OFFSET);
      if (length < DefaultRecordBatch.RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
        throw new CorruptRecordException("record batch at byte " + position + " of a frame has a length of "
            + length + " bytes, less than a batch header");
      }
      if (length > batches.size() - position - LOG_OVERHEAD) {
        break;
      }
      int end = position + LOG_OVERHEAD + length;
      result.add(batches.slice(position, end).asByteBuffer());
      position = end;
    }
    return result;
  }

  private static int intAt(ByteString bytes, int index) {
    return (bytes.apply(index) & 0xff) << 24 | (bytes.apply(index + 1) & 0xff) << 16
        | (bytes.apply(index + 2) & 0xff) << 8 | bytes.apply(index + 3) & 0xff;
  }

  private static List<Header> headers(Record record) {
    org.apache.kafka.common.header.Header[] headers = record.headers();
    if (headers.length == 0) {
      return List.of();
    }
    List<Header> result = new ArrayList<>(headers.length);
    for (org.apache.kafka.common.header.Header header : headers) {
      result.add(new Header(header.key(), header.value()));
    }
    return result;
  }
}
