package dev.runnel.persistence;

import dev.runnel.persistence.PartitionEvent.LogCompacted;
import dev.runnel.persistence.PartitionEvent.LogStartOffsetAdvanced;
import dev.runnel.persistence.PartitionEvent.PartitionDeleted;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionEvent.RecordsCompacted;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Binary serializer for the partition log's events and snapshots. Record batches are written as the bytes they
 * are, never re-encoded. Each manifest names one type and its format version; a new format gets a new manifest and
 * the old one stays readable.
 *
 * <p>Also a {@link ByteBufferSerializer}: an event read from the journal is decoded straight from the buffer the file
 * was read into ({@link StoredEvent#event}), so a batch's bytes are copied once on their way into the event, not
 * twice.
 */
public final class PartitionSerializer extends SerializerWithStringManifest implements ByteBufferSerializer {

  static final String RECORDS_APPENDED = "A1";
  static final String PARTITION_DELETED = "D1";
  static final String RECORDS_COMPACTED = "C1";
  static final String LOG_COMPACTED = "K1";
  static final String LOG_START_OFFSET_ADVANCED = "L1";
  /** The state without compaction progress, written before compaction existed; read only. */
  static final String PARTITION_STATE_V1 = "S1";
  /** The state without transactions, written before they existed; read only. */
  static final String PARTITION_STATE_V2 = "S2";
  /** The state without the key index, written before it existed; read only. */
  static final String PARTITION_STATE_V3 = "S3";
  /** The state without the producers' coordinator epochs, written before they were kept; read only. */
  static final String PARTITION_STATE_V4 = "S4";
  static final String PARTITION_STATE = "S5";

  @Override
  public int identifier() {
    return 7301;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof RecordsAppended) {
      return RECORDS_APPENDED;
    }
    if (o instanceof RecordsCompacted) {
      return RECORDS_COMPACTED;
    }
    if (o instanceof LogCompacted) {
      return LOG_COMPACTED;
    }
    if (o instanceof LogStartOffsetAdvanced) {
      return LOG_START_OFFSET_ADVANCED;
    }
    if (o instanceof PartitionDeleted) {
      return PARTITION_DELETED;
    }
    if (o instanceof PartitionState) {
      return PARTITION_STATE;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof RecordsAppended appended) {
      ByteBuffer buffer = ByteBuffer.allocate(16 + appended.records().length);
      buffer.putLong(appended.baseOffset()).putLong(appended.lastOffset()).put(appended.records());
      return buffer.array();
    }
    if (o instanceof RecordsCompacted compacted) {
      ByteBuffer buffer = ByteBuffer.allocate(16 + compacted.records().length);
      buffer.putLong(compacted.fromOffset()).putLong(compacted.toOffset()).put(compacted.records());
      return buffer.array();
    }
    if (o instanceof LogCompacted compacted) {
      return ByteBuffer.allocate(16)
          .putLong(compacted.firstDirtyOffset())
          .putLong(compacted.oldestTombstoneTimestamp())
          .array();
    }
    if (o instanceof LogStartOffsetAdvanced advanced) {
      return ByteBuffer.allocate(8).putLong(advanced.logStartOffset()).array();
    }
    if (o instanceof PartitionDeleted) {
      return new byte[0];
    }
    if (o instanceof PartitionState state) {
      return stateToBinary(state);
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public void toBinary(Object o, ByteBuffer buffer) {
    buffer.put(toBinary(o));
  }

  /**
   * Reads from the buffer's position to its limit, whatever the buffer's byte order (Pekko hands buffer serializers
   * little-endian buffers; the format is big-endian); the buffer's position moves to its limit.
   */
  @Override
  public Object fromBinary(ByteBuffer from, String manifest) throws NotSerializableException {
    ByteBuffer buffer = from.duplicate().order(ByteOrder.BIG_ENDIAN);
    from.position(from.limit());
    switch (manifest) {
      case RECORDS_APPENDED -> {
        long baseOffset = buffer.getLong();
        long lastOffset = buffer.getLong();
        return new RecordsAppended(baseOffset, lastOffset, remaining(buffer));
      }
      case RECORDS_COMPACTED -> {
        long fromOffset = buffer.getLong();
        long toOffset = buffer.getLong();
        return new RecordsCompacted(fromOffset, toOffset, remaining(buffer));
      }
      default -> {
        return fromBinary(remaining(buffer), manifest);
      }
    }
  }

  private static byte[] remaining(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    switch (manifest) {
      case RECORDS_APPENDED -> {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        long baseOffset = buffer.getLong();
        long lastOffset = buffer.getLong();
        byte[] records = new byte[buffer.remaining()];
        buffer.get(records);
        return new RecordsAppended(baseOffset, lastOffset, records);
      }
      case RECORDS_COMPACTED -> {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        long fromOffset = buffer.getLong();
        long toOffset = buffer.getLong();
        byte[] records = new byte[buffer.remaining()];
        buffer.get(records);
        return new RecordsCompacted(fromOffset, toOffset, records);
      }
      case LOG_COMPACTED -> {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return new LogCompacted(buffer.getLong(), buffer.getLong());
      }
      case LOG_START_OFFSET_ADVANCED -> {
        return new LogStartOffsetAdvanced(ByteBuffer.wrap(bytes).getLong());
      }
      case PARTITION_DELETED -> {
        return new PartitionDeleted();
      }
      case PARTITION_STATE_V1 -> {
        return stateFromBinary(bytes, 1);
      }
      case PARTITION_STATE_V2 -> {
        return stateFromBinary(bytes, 2);
      }
      case PARTITION_STATE_V3 -> {
        return stateFromBinary(bytes, 3);
      }
      case PARTITION_STATE_V4 -> {
        return stateFromBinary(bytes, 4);
      }
      case PARTITION_STATE -> {
        return stateFromBinary(bytes, 5);
      }
      default -> throw new NotSerializableException("unknown manifest " + manifest);
    }
  }

  private static byte[] stateToBinary(PartitionState state) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + state.index().size() * 36);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(state.lastSequenceNr());
      out.writeLong(state.logStartOffset());
      out.writeLong(state.logEndOffset());
      out.writeLong(state.sizeInBytes());
      out.writeBoolean(state.deleted());
      OffsetIndex index = state.index();
      out.writeInt(index.size());
      for (int i = 0; i < index.size(); i++) {
        IndexEntry entry = index.get(i);
        out.writeLong(entry.baseOffset());
        out.writeLong(entry.lastOffset());
        out.writeLong(entry.sequenceNr());
        out.writeInt(entry.sizeInBytes());
        out.writeLong(entry.maxTimestamp());
      }
      out.writeInt(state.producers().size());
      for (ProducerStateEntry producer : state.producerEntries()) {
        out.writeLong(producer.producerId());
        out.writeShort(producer.epoch());
        out.writeLong(producer.lastTimestamp());
        out.writeInt(producer.coordinatorEpoch());
        out.writeByte(producer.recentBatches().size());
        for (ProducerBatch batch : producer.recentBatches()) {
          out.writeInt(batch.firstSequence());
          out.writeInt(batch.lastSequence());
          out.writeLong(batch.lastOffset());
          out.writeLong(batch.maxTimestamp());
        }
      }
      out.writeLong(state.firstDirtyOffset());
      out.writeLong(state.oldestTombstoneTimestamp());
      out.writeInt(state.ongoingTxns().size());
      for (var txn : state.ongoingTxns().entrySet()) {
        out.writeLong(txn.getKey());
        out.writeLong(txn.getValue());
      }
      out.writeInt(state.abortedTxns().size());
      for (AbortedTxn txn : state.abortedTxns()) {
        out.writeLong(txn.producerId());
        out.writeLong(txn.firstOffset());
        out.writeLong(txn.lastOffset());
      }
      writeKeyIndex(out, state.keyIndex());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * The key index block, the last of the state's layout (format 4 on): a marker, whether the index overflowed, the
   * number of keys, then per key its bytes (length-prefixed), its version, whether its offsets are complete and its
   * offsets (count-prefixed). Kept as one delimited block at the end so that later sections can follow it.
   */
  private static void writeKeyIndex(DataOutputStream out, KeyIndex keys) throws IOException {
    out.writeInt(KEY_INDEX_MARKER);
    out.writeBoolean(keys.overflowed());
    var entries = keys.entries();
    out.writeInt(entries.size());
    for (var pair : entries) {
      byte[] key = pair.getKey().bytes();
      out.writeInt(key.length);
      out.write(key);
      KeyIndex.Entry entry = pair.getValue();
      out.writeLong(entry.version());
      out.writeBoolean(entry.complete());
      out.writeInt(entry.offsets().length);
      for (long offset : entry.offsets()) {
        out.writeLong(offset);
      }
    }
  }

  private static KeyIndex readKeyIndex(DataInputStream in) throws IOException {
    int marker = in.readInt();
    if (marker != KEY_INDEX_MARKER) {
      throw new IOException("key index block expected, found marker " + Integer.toHexString(marker));
    }
    boolean overflowed = in.readBoolean();
    int count = in.readInt();
    List<Map.Entry<KeyIndex.Key, KeyIndex.Entry>> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] key = new byte[in.readInt()];
      in.readFully(key);
      long version = in.readLong();
      boolean complete = in.readBoolean();
      long[] offsets = new long[in.readInt()];
      for (int o = 0; o < offsets.length; o++) {
        offsets[o] = in.readLong();
      }
      entries.add(Map.entry(new KeyIndex.Key(key), new KeyIndex.Entry(version, offsets, complete)));
    }
    return KeyIndex.of(entries, overflowed);
  }

  /** "KIDX": opens the key index block. */
  private static final int KEY_INDEX_MARKER = 0x4b494458;

  /**
   * A snapshot of format {@code version}: 1 without compaction progress, 2 without transactions, 3 without the key
   * index, 4 without the producers' coordinator epochs (read as unknown: the next marker of each sets it), 5 with
   * all. A snapshot from before the key index, of a log that holds records, gets an index that knows
   * no keys and is marked overflowed (it cannot be rebuilt from the events before the snapshot): reads of a key then
   * scan the log, and keyed conditions are refused, rather than answer from a wrong version.
   */
  private static PartitionState stateFromBinary(byte[] bytes, int version) throws NotSerializableException {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
      long lastSequenceNr = in.readLong();
      long logStartOffset = in.readLong();
      long logEndOffset = in.readLong();
      long sizeInBytes = in.readLong();
      boolean deleted = in.readBoolean();
      int entries = in.readInt();
      List<IndexEntry> index = new ArrayList<>(entries);
      for (int i = 0; i < entries; i++) {
        index.add(new IndexEntry(in.readLong(), in.readLong(), in.readLong(), in.readInt(), in.readLong()));
      }
      int producerCount = in.readInt();
      List<ProducerStateEntry> producers = new ArrayList<>(producerCount);
      for (int i = 0; i < producerCount; i++) {
        long producerId = in.readLong();
        short epoch = in.readShort();
        long lastTimestamp = in.readLong();
        int coordinatorEpoch = version >= 5 ? in.readInt() : ProducerStateEntry.NO_COORDINATOR_EPOCH;
        int batchCount = in.readByte();
        List<ProducerBatch> batches = new ArrayList<>(batchCount);
        for (int b = 0; b < batchCount; b++) {
          batches.add(new ProducerBatch(in.readInt(), in.readInt(), in.readLong(), in.readLong()));
        }
        producers.add(new ProducerStateEntry(producerId, epoch, batches, lastTimestamp, coordinatorEpoch));
      }
      long firstDirtyOffset = version >= 2 ? in.readLong() : logStartOffset;
      long oldestTombstoneTimestamp = version >= 2 ? in.readLong() : -1;
      Map<Long, Long> ongoingTxns = new HashMap<>();
      List<AbortedTxn> abortedTxns = new ArrayList<>();
      if (version >= 3) {
        int ongoing = in.readInt();
        for (int i = 0; i < ongoing; i++) {
          ongoingTxns.put(in.readLong(), in.readLong());
        }
        int aborted = in.readInt();
        for (int i = 0; i < aborted; i++) {
          abortedTxns.add(new AbortedTxn(in.readLong(), in.readLong(), in.readLong()));
        }
      }
      KeyIndex keys = version >= 4 ? readKeyIndex(in)
          : logEndOffset > logStartOffset ? KeyIndex.UNKNOWN : KeyIndex.EMPTY;
      return PartitionState.of(lastSequenceNr, logStartOffset, logEndOffset, sizeInBytes, OffsetIndex.of(index),
          producers, deleted, firstDirtyOffset, oldestTombstoneTimestamp, ongoingTxns, abortedTxns, keys);
    } catch (IOException e) {
      NotSerializableException failure = new NotSerializableException("corrupt partition snapshot: " + e);
      failure.initCause(e);
      throw failure;
    }
  }
}
