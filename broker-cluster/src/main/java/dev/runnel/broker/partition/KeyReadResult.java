package dev.runnel.broker.partition;

import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.Errors;

/**
 * One key's records read from a partition (see {@link KeyReader}).
 *
 * @param error {@link Errors#NONE}, or why nothing was read
 * @param message why it failed; null when read
 * @param records the key's records from the offset asked for, in offset order, with their offsets, timestamps and
 *     headers, as uncompressed Kafka v2 batches (built for this answer: the stored batches also hold other keys)
 * @param nextOffset where to continue reading the key
 * @param endOfKey whether the key has no records at or after {@code nextOffset} (so far)
 * @param version the key's version (its records in the log; 0: none), as the partition's key index has it
 * @param eventsRead journal events the read examined: one per stored write holding the key's records, or every
 *     event of the range when it had to scan (see {@link dev.runnel.persistence.KeyIndex})
 */
public record KeyReadResult(Errors error, String message, ByteBuffer records, long nextOffset, boolean endOfKey,
    long version, int eventsRead) {

  private static final ByteBuffer NO_RECORDS = ByteBuffer.allocate(0).asReadOnlyBuffer();

  public static KeyReadResult error(Errors error, String message) {
    return new KeyReadResult(error, message, NO_RECORDS, -1, true, -1, 0);
  }

  public static KeyReadResult of(ByteBuffer records, long nextOffset, boolean endOfKey, long version,
      int eventsRead) {
    return new KeyReadResult(Errors.NONE, null, records.asReadOnlyBuffer(), nextOffset, endOfKey, version,
        eventsRead);
  }
}
