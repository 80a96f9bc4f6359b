package dev.runnel.broker.group;

import dev.runnel.broker.group.GroupEvent.GenerationStored;
import dev.runnel.broker.group.GroupEvent.GroupDeleted;
import dev.runnel.broker.group.GroupEvent.OffsetsCommitted;
import dev.runnel.broker.group.GroupEvent.OffsetsDeleted;
import dev.runnel.broker.group.GroupEvent.OffsetsExpired;
import dev.runnel.broker.group.GroupEvent.TxnOffsetsSettled;
import dev.runnel.broker.group.GroupEvent.TxnOffsetsStaged;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Binary serializer for a group coordinator's events and snapshot. Each manifest names one type and its format
 * version; a new format gets a new manifest and the old one stays readable. Client metadata and assignments are
 * stored as the opaque bytes the clients sent.
 */
public final class GroupSerializer extends SerializerWithStringManifest {

  private static final String GENERATION = "GG1";
  private static final String COMMITTED = "GC1";
  private static final String DELETED = "GO1";
  private static final String EXPIRED = "GE1";
  private static final String GROUP_DELETED = "GD1";
  /** Staged offsets without the producer epoch, as written before the group kept epochs. */
  private static final String TXN_STAGED_V1 = "GT1";
  private static final String TXN_STAGED = "GT2";
  /** A settlement without the producer epoch, as written before the group kept epochs. */
  private static final String TXN_SETTLED_V1 = "GX1";
  private static final String TXN_SETTLED = "GX2";
  /** A snapshot without transactional offsets, as written before transactions. */
  private static final String STATE_V1 = "GS1";
  /** A snapshot without the producers' epochs, as written before the group kept them. */
  private static final String STATE_V2 = "GS2";
  private static final String STATE = "GS3";

  @FunctionalInterface
  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  @Override
  public int identifier() {
    return 7310;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof GenerationStored) {
      return GENERATION;
    } else if (o instanceof OffsetsCommitted) {
      return COMMITTED;
    } else if (o instanceof OffsetsDeleted) {
      return DELETED;
    } else if (o instanceof OffsetsExpired) {
      return EXPIRED;
    } else if (o instanceof GroupDeleted) {
      return GROUP_DELETED;
    } else if (o instanceof TxnOffsetsStaged) {
      return TXN_STAGED;
    } else if (o instanceof TxnOffsetsSettled) {
      return TXN_SETTLED;
    } else if (o instanceof StoredGroup) {
      return STATE;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof GenerationStored g) {
      return bytes(out -> {
        out.writeInt(g.generationId());
        writeNullable(out, g.protocolType());
        writeNullable(out, g.protocolName());
        writeNullable(out, g.leaderId());
        writeMembers(out, g.members());
        out.writeLong(g.timestamp());
      });
    } else if (o instanceof OffsetsCommitted committed) {
      return bytes(out -> writeOffsets(out, committed.offsets()));
    } else if (o instanceof OffsetsDeleted deleted) {
      return bytes(out -> writePartitions(out, deleted.partitions()));
    } else if (o instanceof OffsetsExpired expired) {
      return bytes(out -> writePartitions(out, expired.partitions()));
    } else if (o instanceof GroupDeleted deleted) {
      return bytes(out -> out.writeLong(deleted.timestamp()));
    } else if (o instanceof TxnOffsetsStaged staged) {
      return bytes(out -> {
        out.writeLong(staged.producerId());
        out.writeShort(staged.producerEpoch());
        writeOffsets(out, staged.offsets());
      });
    } else if (o instanceof TxnOffsetsSettled settled) {
      return bytes(out -> {
        out.writeLong(settled.producerId());
        out.writeShort(settled.producerEpoch());
        out.writeBoolean(settled.commit());
      });
    } else if (o instanceof StoredGroup s) {
      return bytes(out -> {
        out.writeInt(s.generationId());
        writeNullable(out, s.protocolType());
        writeNullable(out, s.protocolName());
        writeNullable(out, s.leaderId());
        writeMembers(out, s.members());
        out.writeLong(s.stateTimestamp());
        writeOffsets(out, s.offsets());
        out.writeInt(s.pending().byProducer().size());
        for (Map.Entry<Long, Map<TopicPartition, CommittedOffset>> producer : s.pending().byProducer().entrySet()) {
          out.writeLong(producer.getKey());
          writeOffsets(out, producer.getValue());
        }
        out.writeInt(s.pending().epochs().size());
        for (Map.Entry<Long, Short> producer : s.pending().epochs().entrySet()) {
          out.writeLong(producer.getKey());
          out.writeShort(producer.getValue());
        }
      });
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      switch (manifest) {
        case GENERATION:
          return new GenerationStored(in.readInt(), readNullable(in), readNullable(in), readNullable(in),
              readMembers(in), in.readLong());
        case COMMITTED:
          return new OffsetsCommitted(readOffsets(in));
        case DELETED:
          return new OffsetsDeleted(readPartitions(in));
        case EXPIRED:
          return new OffsetsExpired(readPartitions(in));
        case GROUP_DELETED:
          return new GroupDeleted(in.readLong());
        case TXN_STAGED_V1:
          return new TxnOffsetsStaged(in.readLong(), PendingTxnOffsets.NO_EPOCH, readOffsets(in));
        case TXN_STAGED:
          return new TxnOffsetsStaged(in.readLong(), in.readShort(), readOffsets(in));
        case TXN_SETTLED_V1:
          return new TxnOffsetsSettled(in.readLong(), PendingTxnOffsets.NO_EPOCH, in.readBoolean());
        case TXN_SETTLED:
          return new TxnOffsetsSettled(in.readLong(), in.readShort(), in.readBoolean());
        case STATE_V1:
          return new StoredGroup(in.readInt(), readNullable(in), readNullable(in), readNullable(in),
              readMembers(in), in.readLong(), readOffsets(in));
        case STATE_V2:
        case STATE: {
          StoredGroup stored = new StoredGroup(in.readInt(), readNullable(in), readNullable(in), readNullable(in),
              readMembers(in), in.readLong(), readOffsets(in));
          int producers = in.readInt();
          Map<Long, Map<TopicPartition, CommittedOffset>> pending = new HashMap<>();
          for (int i = 0; i < producers; i++) {
            pending.put(in.readLong(), readOffsets(in));
          }
          Map<Long, Short> epochs = new HashMap<>();
          if (manifest.equals(STATE)) {
            int known = in.readInt();
            for (int i = 0; i < known; i++) {
              epochs.put(in.readLong(), in.readShort());
            }
          }
          return new StoredGroup(stored.generationId(), stored.protocolType(), stored.protocolName(),
              stored.leaderId(), stored.members(), stored.stateTimestamp(), stored.offsets(),
              new PendingTxnOffsets(pending, epochs));
        }
        default:
          throw new NotSerializableException("unknown manifest " + manifest);
      }
    } catch (IOException | RuntimeException e) {
      NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": " + e);
      failure.initCause(e);
      throw failure;
    }
  }

  private static byte[] bytes(Writer writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void writeNullable(DataOutputStream out, String value) throws IOException {
    out.writeBoolean(value != null);
    if (value != null) {
      out.writeUTF(value);
    }
  }

  private static String readNullable(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readUTF() : null;
  }

  private static void writeBytes(DataOutputStream out, byte[] value) throws IOException {
    out.writeInt(value.length);
    out.write(value);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new IOException("byte array of length " + length + " with " + in.available() + " bytes left");
    }
    byte[] value = new byte[length];
    in.readFully(value);
    return value;
  }

  private static void writeMembers(DataOutputStream out, List<StoredMember> members) throws IOException {
    out.writeInt(members.size());
    for (StoredMember m : members) {
      out.writeUTF(m.memberId());
      writeNullable(out, m.groupInstanceId());
      out.writeUTF(m.clientId());
      out.writeUTF(m.clientHost());
      out.writeInt(m.rebalanceTimeoutMs());
      out.writeInt(m.sessionTimeoutMs());
      writeBytes(out, m.subscription());
      writeBytes(out, m.assignment());
    }
  }

  private static List<StoredMember> readMembers(DataInputStream in) throws IOException {
    int count = in.readInt();
    List<StoredMember> members = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      members.add(new StoredMember(in.readUTF(), readNullable(in), in.readUTF(), in.readUTF(), in.readInt(),
          in.readInt(), readBytes(in), readBytes(in)));
    }
    return members;
  }

  private static void writeOffsets(DataOutputStream out, Map<TopicPartition, CommittedOffset> offsets)
      throws IOException {
    out.writeInt(offsets.size());
    for (Map.Entry<TopicPartition, CommittedOffset> entry : offsets.entrySet()) {
      out.writeUTF(entry.getKey().topic());
      out.writeInt(entry.getKey().partition());
      CommittedOffset offset = entry.getValue();
      out.writeLong(offset.offset());
      out.writeInt(offset.leaderEpoch());
      writeBytes(out, offset.metadata().getBytes(StandardCharsets.UTF_8));
      out.writeLong(offset.commitTimestamp());
    }
  }

  private static Map<TopicPartition, CommittedOffset> readOffsets(DataInputStream in) throws IOException {
    int count = in.readInt();
    Map<TopicPartition, CommittedOffset> offsets = new HashMap<>();
    for (int i = 0; i < count; i++) {
      TopicPartition partition = new TopicPartition(in.readUTF(), in.readInt());
      offsets.put(partition, new CommittedOffset(
          in.readLong(), in.readInt(), new String(readBytes(in), StandardCharsets.UTF_8), in.readLong()));
    }
    return offsets;
  }

  private static void writePartitions(DataOutputStream out, List<TopicPartition> partitions) throws IOException {
    out.writeInt(partitions.size());
    for (TopicPartition partition : partitions) {
      out.writeUTF(partition.topic());
      out.writeInt(partition.partition());
    }
  }

  private static List<TopicPartition> readPartitions(DataInputStream in) throws IOException {
    int count = in.readInt();
    List<TopicPartition> partitions = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      partitions.add(new TopicPartition(in.readUTF(), in.readInt()));
    }
    return partitions;
  }
}
