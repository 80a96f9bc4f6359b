package dev.runnel.persistence;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.Utils;
import scala.collection.immutable.HashMap;
import scala.collection.immutable.HashMap$;

/**
 * The partition's per-key index: for each record key, its <b>version</b> (how many records with that key were
 * appended while the key had records in the log) and the offsets of its newest records still in the log. It lets a
 * partition decide a keyed conditional append and read one key's records (one event-sourced stream) without
 * scanning the log. Part of {@link PartitionState}, so it is persisted with the partition's snapshots and rebuilt
 * from the events after them on recovery.
 *
 * <p><b>Bounds.</b> Memory is bounded by {@link Limits}: at most {@code maxOffsetsPerKey} offsets per key (older
 * ones are dropped and the entry is marked {@linkplain Entry#complete() incomplete}: a read of that key then scans
 * the log below its oldest tracked offset) and at most {@code maxKeys} keys. Once the index is full it stops taking
 * new keys for good and is marked {@link #overflowed()}: a key it does not hold may then have records anywhere, so
 * reading it scans the log, and a keyed condition on it is refused (its version is unknown). A compacted topic keeps
 * one record per key, so its index stays small. Keys are kept only while they have records in the log: retention,
 * DeleteRecords and compaction drop the offsets they remove, and a key left with none leaves the index (its version
 * starts again at 0, as the stream is gone).
 *
 * <p>Records without a key and control batches are not indexed. Immutable and thread-safe.
 */
public final class KeyIndex {

  /**
   * How much the index holds.
   *
   * @param maxKeys keys tracked per partition; beyond it the index overflows (see {@link KeyIndex})
   * @param maxOffsetsPerKey newest offsets kept per key
   */
  public record Limits(int maxKeys, int maxOffsetsPerKey) {
    public static final Limits DEFAULT = new Limits(100_000, 64);

    public Limits {
      if (maxKeys < 0) {
        throw new IllegalArgumentException("maxKeys must not be negative, not " + maxKeys);
      }
      if (maxOffsetsPerKey <= 0) {
        throw new IllegalArgumentException("maxOffsetsPerKey must be positive, not " + maxOffsetsPerKey);
      }
    }
  }

  /** A record key: its bytes, compared by content. */
  public record Key(byte[] bytes) {
    public static Key of(ByteBuffer buffer) {
      return new Key(Utils.toArray(buffer.duplicate()));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return "Key[" + bytes.length + " bytes]";
    }
  }

  /**
   * One key's entry.
   *
   * @param version the records with this key appended while it had records in the log (the stream's version)
   * @param offsets the newest of its records' offsets still in the log, ascending, never empty; not to be modified
   * @param complete whether {@code offsets} holds every record of the key still in the log
   */
  public record Entry(long version, long[] offsets, boolean complete) {
    /** The offset of the key's newest record. */
    public long latestOffset() {
      return offsets[offsets.length - 1];
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry other && version == other.version && complete == other.complete
          && Arrays.equals(offsets, other.offsets);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(version) * 31 + Arrays.hashCode(offsets);
    }

    @Override
    public String toString() {
      return "Entry[version " + version + ", offsets " + Arrays.toString(offsets) + (complete ? "" : ", incomplete")
          + "]";
    }
  }

  public static final KeyIndex EMPTY = new KeyIndex(HashMap$.MODULE$.empty(), false);
  /** An index that knows no keys of a log that may hold some (recovered from a snapshot older than the index). */
  public static final KeyIndex UNKNOWN = new KeyIndex(HashMap$.MODULE$.empty(), true);

  private final HashMap<Key, Entry> entries;
  private final boolean overflowed;

  private KeyIndex(HashMap<Key, Entry> entries, boolean overflowed) {
    this.entries = entries;
    this.overflowed = overflowed;
  }

  /** An index of these entries, as a snapshot stored them. */
  public static KeyIndex of(List<java.util.Map.Entry<Key, Entry>> entries, boolean overflowed) {
    HashMap<Key, Entry> map = HashMap$.MODULE$.empty();
    for (var entry : entries) {
      map = map.updated(entry.getKey(), entry.getValue());
    }
    return new KeyIndex(map, overflowed);
  }

  public Optional<Entry> entry(Key key) {
    scala.Option<Entry> found = entries.get(key);
    return found.isDefined() ? Optional.of(found.get()) : Optional.empty();
  }

  /** Whether the index stopped taking new keys because it held {@link Limits#maxKeys()} of them. */
  public boolean overflowed() {
    return overflowed;
  }

  public int size() {
    return entries.size();
  }

  /** Every entry, in no particular order. */
  public List<java.util.Map.Entry<Key, Entry>> entries() {
    List<java.util.Map.Entry<Key, Entry>> list = new ArrayList<>(entries.size());
    entries.foreach(pair -> list.add(java.util.Map.entry(pair._1(), pair._2())));
    return list;
  }

  /**
   * The index after appending {@code batches}, whose records get consecutive offsets from {@code firstOffset} in
   * batch order (as the partition assigns them; batches that already carry those offsets give the same answer).
   */
  public KeyIndex appended(ByteBuffer batches, long firstOffset, Limits limits) {
    if (limits.maxKeys() == 0) {
      // The index is off: no walk of the records at all, and what an earlier setting indexed is dropped, since it
      // would no longer be kept up to date.
      return UNKNOWN;
    }
    // The append's offsets are gathered per key first, so the persistent map and each key's offsets are updated
    // once per key and append, not once per record.
    java.util.Map<Key, LongList> found = new java.util.LinkedHashMap<>();
    long base = firstOffset;
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
      long shift = base - batch.baseOffset();
      if (!batch.isControlBatch()) {
        for (Record record : batch) {
          if (record.hasKey()) {
            found.computeIfAbsent(Key.of(record.key()), key -> new LongList()).add(record.offset() + shift);
          }
        }
      }
      base += batch.lastOffset() - batch.baseOffset() + 1;
    }
    if (found.isEmpty()) {
      return this;
    }
    HashMap<Key, Entry> next = entries;
    boolean full = overflowed;
    for (var pair : found.entrySet()) {
      scala.Option<Entry> known = next.get(pair.getKey());
      if (known.isDefined()) {
        next = next.updated(pair.getKey(), withOffsets(known.get(), pair.getValue(), limits));
      } else if (!full && next.size() < limits.maxKeys()) {
        next = next.updated(pair.getKey(), withOffsets(new Entry(0, new long[0], true), pair.getValue(), limits));
      } else {
        full = true;
      }
    }
    return new KeyIndex(next, full);
  }

  /** A growable list of offsets, for gathering one append's. */
  private static final class LongList {
    private long[] values = new long[4];
    private int size;

    void add(long value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }
  }

  private static Entry withOffsets(Entry entry, LongList added, Limits limits) {
    long[] offsets = entry.offsets();
    int total = offsets.length + added.size;
    int kept = Math.min(total, limits.maxOffsetsPerKey());
    long[] next = new long[kept];
    // The newest {@code kept} of the old offsets followed by the new ones.
    int fromNew = Math.min(added.size, kept);
    int fromOld = kept - fromNew;
    System.arraycopy(offsets, offsets.length - fromOld, next, 0, fromOld);
    System.arraycopy(added.values, added.size - fromNew, next, fromOld, fromNew);
    return new Entry(entry.version() + added.size, next, entry.complete() && total <= kept);
  }

  /** The index once the records below {@code logStartOffset} are gone (retention, DeleteRecords). */
  public KeyIndex truncatedBefore(long logStartOffset) {
    return filtered(offset -> offset >= logStartOffset);
  }

  /**
   * The index once compaction replaced offsets {@code fromOffset} to {@code toOffset} by {@code survivors}: the
   * records of that range it kept, with their offsets.
   */
  public KeyIndex compacted(long fromOffset, long toOffset, ByteBuffer survivors) {
    Set<Long> kept = new HashSet<>();
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(survivors.duplicate()).batches()) {
      for (Record record : batch) {
        kept.add(record.offset());
      }
    }
    return filtered(offset -> offset < fromOffset || offset > toOffset || kept.contains(offset));
  }

  private KeyIndex filtered(java.util.function.LongPredicate keep) {
    HashMap<Key, Entry> next = entries;
    for (var pair : entries()) {
      long[] offsets = pair.getValue().offsets();
      long[] left = Arrays.stream(offsets).filter(keep).toArray();
      if (left.length == offsets.length) {
        continue;
      }
      // A key whose newest tracked record is gone has none left: older ones went first (retention) or were
      // superseded by it (compaction).
      next = left.length == 0 ? next.removed(pair.getKey())
          : next.updated(pair.getKey(), new Entry(pair.getValue().version(), left, pair.getValue().complete()));
    }
    return next == entries ? this : new KeyIndex(next, overflowed);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyIndex other && overflowed == other.overflowed && entries.equals(other.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode() * 31 + Boolean.hashCode(overflowed);
  }

  @Override
  public String toString() {
    return "KeyIndex[" + entries.size() + " keys" + (overflowed ? ", overflowed" : "") + "]";
  }
}
