package dev.runnel.persistence;

import dev.runnel.persistence.PartitionEvent.PartitionDeleted;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Binary serializer for the partition log's events and snapshots. Record batches are written as the bytes they
 * are, never re-encoded. Each manifest names one type and its format version; a new format gets a new manifest and
 * the old one stays readable.
 */
public final class PartitionSerializer extends SerializerWithStringManifest {

  static final String RECORDS_APPENDED = "A1";
  static final String PARTITION_DELETED = "D1";
  static final String PARTITION_STATE = "S1";

  @Override
  public int identifier() {
    return 7301;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof RecordsAppended) {
      return RECORDS_APPENDED;
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
    if (o instanceof PartitionDeleted) {
      return new byte[0];
    }
    if (o instanceof PartitionState state) {
      return stateToBinary(state);
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
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
      case PARTITION_DELETED -> {
        return new PartitionDeleted();
      }
      case PARTITION_STATE -> {
        return stateFromBinary(bytes);
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
        out.writeByte(producer.recentBatches().size());
        for (ProducerBatch batch : producer.recentBatches()) {
          out.writeInt(batch.firstSequence());
          out.writeInt(batch.lastSequence());
          out.writeLong(batch.lastOffset());
          out.writeLong(batch.maxTimestamp());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static PartitionState stateFromBinary(byte[] bytes) throws NotSerializableException {
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
        int batchCount = in.readByte();
        List<ProducerBatch> batches = new ArrayList<>(batchCount);
        for (int b = 0; b < batchCount; b++) {
          batches.add(new ProducerBatch(in.readInt(), in.readInt(), in.readLong(), in.readLong()));
        }
        producers.add(new ProducerStateEntry(producerId, epoch, batches, lastTimestamp));
      }
      return PartitionState.of(
          lastSequenceNr, logStartOffset, logEndOffset, sizeInBytes, OffsetIndex.of(index), producers, deleted);
    } catch (IOException e) {
      NotSerializableException failure = new NotSerializableException("corrupt partition snapshot: " + e);
      failure.initCause(e);
      throw failure;
    }
  }
}
