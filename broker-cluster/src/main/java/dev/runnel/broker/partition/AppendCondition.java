package dev.runnel.broker.partition;

import dev.runnel.persistence.KeyIndex;
import java.util.Arrays;
import java.util.Optional;

/**
 * A condition an append must meet to be stored (optimistic concurrency, what Kafka's KIP-27 proposed): the
 * partition's end offset, and for one record key the offset of its newest record or its stream's version. Any part
 * may be left out ({@link #ANY}); the parts given must all hold. The partition checks it against its state including
 * the appends already accepted into the same group commit, so the check and the write are atomic per partition.
 *
 * <p>A key's <b>version</b> is the number of its records in the partition (see {@link KeyIndex}): 0 when the key has
 * no record, so an expected version of 0 means "this stream does not exist yet". An expected key offset of
 * {@link #NO_RECORD} means the same.
 *
 * @param expectedEndOffset the log end offset the append must find (the offset its first record would get), or
 *     {@link #ANY}
 * @param key the record key of the keyed parts; null when there are none
 * @param expectedKeyOffset the offset the key's newest record must have ({@link #NO_RECORD}: none), or {@link #ANY}
 * @param expectedVersion the version the key's stream must have (0: none yet), or {@link #ANY}
 */
public record AppendCondition(long expectedEndOffset, byte[] key, long expectedKeyOffset, long expectedVersion) {

  /** A part of the condition that is left out. */
  public static final long ANY = -2;
  /** A key offset or current value meaning "the key has no record". */
  public static final long NO_RECORD = -1;

  public AppendCondition {
    if (expectedEndOffset < ANY || expectedKeyOffset < ANY || expectedVersion < ANY) {
      throw new IllegalArgumentException("expected values must be -2 (any) or more");
    }
    if (expectedVersion == NO_RECORD) {
      throw new IllegalArgumentException("an expected version is 0 (no stream yet) or more, not -1");
    }
    if (key == null && (expectedKeyOffset != ANY || expectedVersion != ANY)) {
      throw new IllegalArgumentException("a keyed condition needs a key");
    }
  }

  public static AppendCondition endOffset(long expected) {
    return new AppendCondition(expected, null, ANY, ANY);
  }

  public static AppendCondition version(byte[] key, long expected) {
    return new AppendCondition(ANY, key, ANY, expected);
  }

  public boolean keyed() {
    return key != null && (expectedKeyOffset != ANY || expectedVersion != ANY);
  }

  /**
   * What the condition found instead of what it expected: the partition's end offset, and for a keyed condition the
   * key's newest offset ({@link #NO_RECORD} when none) and version; {@link #ANY} where the condition had no keyed
   * part.
   */
  public record Conflict(long currentEndOffset, long currentKeyOffset, long currentVersion, String message) {}

  /**
   * The check, as a pure function: empty when the condition holds against a log ending at {@code endOffset} whose
   * key index is {@code keys}.
   *
   * @throws org.apache.kafka.common.errors.InvalidRequestException for a keyed condition on a key the index does not
   *     hold once it overflowed: its version is unknown, so the append cannot be decided
   */
  public Optional<Conflict> check(long endOffset, KeyIndex keys) {
    long keyOffset = ANY;
    long version = ANY;
    if (keyed()) {
      Optional<KeyIndex.Entry> entry = keys.entry(new KeyIndex.Key(key));
      if (entry.isEmpty() && keys.overflowed()) {
        throw new org.apache.kafka.common.errors.InvalidRequestException("The partition's key index is full and "
            + "does not hold this key, so its version is unknown; keyed conditions on it are refused "
            + "(runnel.partition.key-index.max-keys)");
      }
      keyOffset = entry.map(KeyIndex.Entry::latestOffset).orElse(NO_RECORD);
      version = entry.map(KeyIndex.Entry::version).orElse(0L);
    }
    StringBuilder failed = new StringBuilder();
    if (expectedEndOffset != ANY && expectedEndOffset != endOffset) {
      failed.append("the end offset is ").append(endOffset).append(", not ").append(expectedEndOffset);
    }
    if (expectedKeyOffset != ANY && expectedKeyOffset != keyOffset) {
      separate(failed).append("the key's newest record is ")
          .append(keyOffset == NO_RECORD ? "none" : "at offset " + keyOffset)
          .append(", not ").append(expectedKeyOffset == NO_RECORD ? "none" : "at offset " + expectedKeyOffset);
    }
    if (expectedVersion != ANY && expectedVersion != version) {
      separate(failed).append("the key's version is ").append(version).append(", not ").append(expectedVersion);
    }
    if (failed.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Conflict(endOffset, keyOffset, version, "Condition not met: " + failed));
  }

  private static StringBuilder separate(StringBuilder text) {
    return text.isEmpty() ? text : text.append("; ");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AppendCondition other && expectedEndOffset == other.expectedEndOffset
        && Arrays.equals(key, other.key) && expectedKeyOffset == other.expectedKeyOffset
        && expectedVersion == other.expectedVersion;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(expectedEndOffset) * 31 + Arrays.hashCode(key) + Long.hashCode(expectedVersion);
  }

  @Override
  public String toString() {
    return "AppendCondition[endOffset " + expectedEndOffset + ", keyOffset " + expectedKeyOffset + ", version "
        + expectedVersion + "]";
  }
}
