package dev.runnel.broker.metrics;

import java.nio.ByteBuffer;

/**
 * Counts records in Kafka v2 record batches from their headers alone (base offset, last offset delta and record
 * count), so counting costs a few reads per batch, never per record.
 */
final class RecordCounts {

  private static final int BASE_OFFSET = 0;
  private static final int LENGTH = 8;
  private static final int LAST_OFFSET_DELTA = 23;
  private static final int RECORDS_COUNT = 57;
  private static final int HEADER_BYTES = 61;
  private static final int LOG_OVERHEAD = 12;

  private RecordCounts() {}

  /**
   * The records of the whole batches in {@code batches} at or after {@code fromOffset}. In a batch that starts before
   * it (a fetch answers from the batch holding its offset) the records before it are left out, assuming no gaps
   * between its offsets: exact except in a compacted batch, where it may count fewer than were sent.
   */
  static long records(ByteBuffer batches, long fromOffset) {
    long total = 0;
    int position = batches.position();
    int end = batches.limit();
    while (end - position >= HEADER_BYTES) {
      long base = batches.getLong(position + BASE_OFFSET);
      int length = batches.getInt(position + LENGTH);
      long last = base + batches.getInt(position + LAST_OFFSET_DELTA);
      int count = batches.getInt(position + RECORDS_COUNT);
      if (length < HEADER_BYTES - LOG_OVERHEAD || count < 0) {
        break;
      }
      if (base >= fromOffset) {
        total += count;
      } else if (last >= fromOffset) {
        total += Math.min(count, last - fromOffset + 1);
      }
      position += LOG_OVERHEAD + length;
    }
    return total;
  }
}
