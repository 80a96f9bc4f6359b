package dev.runnel.broker.topic;

import dev.runnel.broker.topic.TopicRegistry.ConfigsAltered;
import dev.runnel.broker.topic.TopicRegistry.PartitionsCreated;
import dev.runnel.broker.topic.TopicRegistry.State;
import dev.runnel.broker.topic.TopicRegistry.TopicCreated;
import dev.runnel.broker.topic.TopicRegistry.TopicDeleted;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Binary serializer for the topic registry's events and snapshot, and for the topic metadata it replicates to
 * every node. Each manifest names one type and its format version.
 */
public final class TopicSerializer extends SerializerWithStringManifest {

  private static final String TOPIC = "T1";
  private static final String CREATED = "C1";
  private static final String DELETED = "D1";
  private static final String PARTITIONS = "P1";
  private static final String CONFIGS = "G1";
  private static final String STATE = "S1";

  @FunctionalInterface
  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  @Override
  public int identifier() {
    return 7302;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof TopicMetadata) {
      return TOPIC;
    } else if (o instanceof TopicCreated) {
      return CREATED;
    } else if (o instanceof TopicDeleted) {
      return DELETED;
    } else if (o instanceof PartitionsCreated) {
      return PARTITIONS;
    } else if (o instanceof ConfigsAltered) {
      return CONFIGS;
    } else if (o instanceof State) {
      return STATE;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof TopicMetadata topic) {
      return bytes(out -> writeTopic(out, topic));
    } else if (o instanceof TopicCreated created) {
      return bytes(out -> writeTopic(out, created.topic()));
    } else if (o instanceof TopicDeleted deleted) {
      return bytes(out -> out.writeUTF(deleted.name()));
    } else if (o instanceof PartitionsCreated added) {
      return bytes(out -> {
        out.writeUTF(added.name());
        out.writeInt(added.totalCount());
      });
    } else if (o instanceof ConfigsAltered altered) {
      return bytes(out -> {
        out.writeUTF(altered.name());
        writeConfigs(out, altered.configs());
      });
    } else if (o instanceof State state) {
      return bytes(out -> {
        out.writeInt(state.topics().size());
        for (TopicMetadata topic : state.topics().values()) {
          writeTopic(out, topic);
        }
      });
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      switch (manifest) {
        case TOPIC:
          return readTopic(in);
        case CREATED:
          return new TopicCreated(readTopic(in));
        case DELETED:
          return new TopicDeleted(in.readUTF());
        case PARTITIONS:
          return new PartitionsCreated(in.readUTF(), in.readInt());
        case CONFIGS:
          return new ConfigsAltered(in.readUTF(), readConfigs(in));
        case STATE: {
          int count = in.readInt();
          Map<String, TopicMetadata> topics = new HashMap<>();
          for (int i = 0; i < count; i++) {
            TopicMetadata topic = readTopic(in);
            topics.put(topic.name(), topic);
          }
          return new State(topics);
        }
        default:
          throw new NotSerializableException("unknown manifest " + manifest);
      }
    } catch (IOException e) {
      NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": " + e);
      failure.initCause(e);
      throw failure;
    }
  }

  private static byte[] bytes(Writer writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void writeTopic(DataOutputStream out, TopicMetadata topic) throws IOException {
    out.writeUTF(topic.name());
    out.writeUTF(topic.topicId());
    out.writeInt(topic.partitions());
    writeConfigs(out, topic.configs());
  }

  private static TopicMetadata readTopic(DataInputStream in) throws IOException {
    return new TopicMetadata(in.readUTF(), in.readUTF(), in.readInt(), readConfigs(in));
  }

  private static void writeConfigs(DataOutputStream out, Map<String, String> configs) throws IOException {
    out.writeInt(configs.size());
    for (Map.Entry<String, String> entry : configs.entrySet()) {
      out.writeUTF(entry.getKey());
      out.writeUTF(entry.getValue());
    }
  }

  private static Map<String, String> readConfigs(DataInputStream in) throws IOException {
    int count = in.readInt();
    Map<String, String> configs = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      configs.put(in.readUTF(), in.readUTF());
    }
    return configs;
  }
}
