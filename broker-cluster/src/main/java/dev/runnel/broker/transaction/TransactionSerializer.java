package dev.runnel.broker.transaction;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Binary serializer of a transaction coordinator's event and snapshot, and of its metadata where it answers
 * DescribeTransactions across nodes. Each manifest names one type and its format version; a new format gets a new
 * manifest and the old one stays readable. States are stored by their Kafka name, which never changes.
 */
public final class TransactionSerializer extends SerializerWithStringManifest {

  private static final String TRANSITION = "TT1";
  private static final String METADATA = "TM1";

  @Override
  public int identifier() {
    return 7311;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof TransitionStored) {
      return TRANSITION;
    } else if (o instanceof TransactionMetadata) {
      return METADATA;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    TransactionMetadata m;
    if (o instanceof TransitionStored stored) {
      m = stored.metadata();
    } else if (o instanceof TransactionMetadata metadata) {
      m = metadata;
    } else {
      throw new IllegalArgumentException("cannot serialize " + o.getClass());
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      write(out, m);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      switch (manifest) {
        case TRANSITION:
          return new TransitionStored(read(in));
        case METADATA:
          return read(in);
        default:
          throw new NotSerializableException("unknown manifest " + manifest);
      }
    } catch (IOException | RuntimeException e) {
      NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": " + e);
      failure.initCause(e);
      throw failure;
    }
  }

  private static void write(DataOutputStream out, TransactionMetadata m) throws IOException {
    out.writeUTF(m.transactionalId());
    out.writeLong(m.producerId());
    out.writeShort(m.producerEpoch());
    out.writeLong(m.lastProducerId());
    out.writeShort(m.lastProducerEpoch());
    out.writeInt(m.timeoutMs());
    out.writeUTF(m.state().kafkaName());
    out.writeInt(m.partitions().size());
    for (TopicPartition partition : m.partitions()) {
      out.writeUTF(partition.topic());
      out.writeInt(partition.partition());
    }
    out.writeInt(m.groups().size());
    for (String group : m.groups()) {
      out.writeUTF(group);
    }
    out.writeLong(m.startTimestamp());
    out.writeLong(m.updateTimestamp());
    out.writeInt(m.coordinatorEpoch());
  }

  private static TransactionMetadata read(DataInputStream in) throws IOException {
    String transactionalId = in.readUTF();
    long producerId = in.readLong();
    short producerEpoch = in.readShort();
    long lastProducerId = in.readLong();
    short lastProducerEpoch = in.readShort();
    int timeoutMs = in.readInt();
    String stateName = in.readUTF();
    TransactionState state = TransactionState.ofKafkaName(stateName);
    if (state == null) {
      throw new IOException("unknown transaction state " + stateName);
    }
    int partitionCount = in.readInt();
    Set<TopicPartition> partitions = new HashSet<>();
    for (int i = 0; i < partitionCount; i++) {
      partitions.add(new TopicPartition(in.readUTF(), in.readInt()));
    }
    int groupCount = in.readInt();
    Set<String> groups = new HashSet<>();
    for (int i = 0; i < groupCount; i++) {
      groups.add(in.readUTF());
    }
    return new TransactionMetadata(transactionalId, producerId, producerEpoch, lastProducerId, lastProducerEpoch,
        timeoutMs, state, partitions, groups, in.readLong(), in.readLong(), in.readInt());
  }
}
