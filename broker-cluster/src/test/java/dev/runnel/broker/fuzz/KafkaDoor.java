package dev.runnel.broker.fuzz;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * The Kafka port: length-prefixed frames with a valid header of every API key and version kafka-clients knows,
 * over default bodies mutated (bit flips, truncation, random bytes, huge counts, trailing bytes), frames with
 * wrong or huge lengths, and Produce requests carrying valid, bit-flipped or (with {@code malformedBatches})
 * malformed v2 batches whose CRC is recomputed. Each case is followed on its connection by an ApiVersions probe:
 * the case is answered when the probe's response comes back (every response before it came in order), closed when
 * the server closed the connection, and hung when neither happens within the bound. Generation depends only on
 * the {@link Random} it is given.
 */
final class KafkaDoor implements AutoCloseable {

  static final int HANG_BOUND_MS = 25_000;
  private static final int PROBE_CORRELATION = Integer.MIN_VALUE + 7;

  private final int port;
  private final List<String> topics;
  private final boolean malformedBatches;
  private final List<ApiKeys> keys = new ArrayList<>();
  private Socket socket;
  private DataInputStream in;
  private OutputStream out;
  private int correlation;

  /**
   * @param topics the topics Produce requests name
   * @param malformedBatches whether Produce cases carry malformed batches, which only a validating node refuses
   */
  KafkaDoor(int port, List<String> topics, boolean malformedBatches) {
    this.port = port;
    this.topics = topics;
    this.malformedBatches = malformedBatches;
    for (ApiKeys key : ApiKeys.values()) {
      keys.add(key);
    }
  }

  void run(long seed, Random random, long firstIndex, int cases, long deadlineNanos, FuzzStats stats)
      throws IOException {
    for (int i = 0; i < cases && System.nanoTime() < deadlineNanos; i++) {
      Case next = nextCase(random);
      long index = firstIndex + i;
      stats.cases.incrementAndGet();
      String outcome = exchange(next);
      switch (outcome) {
        case "answered" -> stats.answered.incrementAndGet();
        case "closed" -> stats.closed.incrementAndGet();
        default -> stats.hang(seed, index, next.what);
      }
    }
  }

  /** A frame to send, whether to half-close after it (its length promises more than it has), and a name. */
  private record Case(byte[] frame, boolean thenHalfClose, String what) {}

  private Case nextCase(Random random) {
    int choice = random.nextInt(20);
    if (choice < 5) {
      return produce(random);
    }
    ApiKeys key = keys.get(random.nextInt(keys.size()));
    int versions = Math.max(1, key.latestVersion(true) - key.oldestVersion() + 1);
    short version = (short) (key.oldestVersion() + random.nextInt(versions));
    if (choice == 5) {
      version = (short) (random.nextBoolean() ? key.latestVersion(true) + 1 + random.nextInt(100) : -1);
    }
    byte[] body = body(key, version, random);
    String what = key + " v" + version;
    switch (random.nextInt(9)) {
      case 0: break;
      case 1: Mutations.flipBits(random, body, 1 + random.nextInt(8)); what += " bit-flipped"; break;
      case 2: body = Mutations.truncate(random, body); what += " truncated"; break;
      case 3: {
        body = new byte[random.nextInt(200)];
        random.nextBytes(body);
        what += " random body";
        break;
      }
      case 4: {
        // A huge array or string length somewhere in the body.
        if (body.length >= 4) {
          int at = random.nextInt(body.length - 3);
          ByteBuffer.wrap(body).putInt(at, random.nextBoolean() ? Integer.MAX_VALUE : 0x7ffffff0 - random.nextInt(9));
        }
        what += " huge count";
        break;
      }
      case 5: {
        byte[] longer = new byte[body.length + 1 + random.nextInt(64)];
        System.arraycopy(body, 0, longer, 0, body.length);
        body = longer;
        what += " trailing bytes";
        break;
      }
      default: break;
    }
    byte[] request = withHeader(key, version, body, random);
    int kind = random.nextInt(12);
    if (kind == 0) {
      // A length far beyond the bytes, then the end of input: the server must give up on the frame.
      int declared = random.nextBoolean() ? Integer.MAX_VALUE : request.length + 1 + random.nextInt(1 << 20);
      return new Case(frame(declared, request), true, what + " length " + declared);
    }
    if (kind == 1) {
      int declared = -1 - random.nextInt(Integer.MAX_VALUE);
      return new Case(frame(declared, request), false, what + " length " + declared);
    }
    if (kind == 2) {
      return new Case(Mutations.truncate(random, frame(request.length, request)), true, what + " frame cut");
    }
    return new Case(frame(request.length, request), false, what);
  }

  private Case produce(Random random) {
    String topic = topics.get(random.nextInt(topics.size()));
    int partition = random.nextInt(3);
    byte[] batch;
    String what;
    int kind = random.nextInt(4);
    if (malformedBatches && kind == 0) {
      int malformed = random.nextInt(Batches.KINDS);
      batch = Batches.malformed(random, malformed);
      what = "malformed kind " + malformed;
    } else if (malformedBatches && kind == 1) {
      batch = Batches.bitFlipped(random);
      what = "bit-flipped with CRC";
    } else if (kind == 2) {
      batch = Batches.valid(random, 1 + random.nextInt(5));
      Mutations.flipBits(random, batch, 1 + random.nextInt(3));
      what = "bit-flipped without CRC";
    } else {
      batch = Batches.valid(random, 1 + random.nextInt(5));
      what = "valid";
    }
    short version = (short) (3 + random.nextInt(10));
    ProduceRequestData data = new ProduceRequestData().setAcks((short) (random.nextInt(3) - 1)).setTimeoutMs(5_000);
    ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData().setName(topic);
    topicData.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(partition)
        .setRecords(MemoryRecords.readableRecords(ByteBuffer.wrap(batch))));
    data.topicData().add(topicData);
    byte[] request = withHeader(ApiKeys.PRODUCE, version, serialize(data, version), random);
    return new Case(frame(request.length, request), false,
        "PRODUCE v" + version + " acks " + data.acks() + " to " + topic + "-" + partition + ", batch " + what);
  }

  private static byte[] body(ApiKeys key, short version, Random random) {
    try {
      return serialize(ApiMessageType.fromApiKey(key.id).newRequest(), version);
    } catch (RuntimeException e) {
      // The default body does not exist at this version (a field it lacks is required): random bytes instead.
      byte[] noise = new byte[random.nextInt(64)];
      random.nextBytes(noise);
      return noise;
    }
  }

  private static byte[] serialize(ApiMessage message, short version) {
    ObjectSerializationCache cache = new ObjectSerializationCache();
    ByteBuffer buffer = ByteBuffer.allocate(message.size(cache, version));
    message.write(new ByteBufferAccessor(buffer), cache, version);
    return buffer.array();
  }

  private byte[] withHeader(ApiKeys key, short version, byte[] body, Random random) {
    short headerVersion;
    try {
      headerVersion = key.requestHeaderVersion(version);
    } catch (RuntimeException e) {
      headerVersion = (short) (random.nextBoolean() ? 1 : 2);
    }
    RequestHeader header = new RequestHeader(
        new org.apache.kafka.common.message.RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
            .setClientId("fuzz").setCorrelationId(++correlation & Integer.MAX_VALUE), headerVersion);
    ObjectSerializationCache cache = new ObjectSerializationCache();
    ByteBuffer buffer = ByteBuffer.allocate(header.data().size(cache, headerVersion) + body.length);
    header.data().write(new ByteBufferAccessor(buffer), cache, headerVersion);
    buffer.put(body);
    return buffer.array();
  }

  private static byte[] frame(int declaredLength, byte[] request) {
    return ByteBuffer.allocate(4 + request.length).putInt(declaredLength).put(request).array();
  }

  private byte[] probe() {
    ApiVersionsRequestData data = new ApiVersionsRequestData().setClientSoftwareName("fuzz")
        .setClientSoftwareVersion("1");
    RequestHeader header = new RequestHeader(ApiKeys.API_VERSIONS, (short) 3, "fuzz", PROBE_CORRELATION);
    ObjectSerializationCache cache = new ObjectSerializationCache();
    int headerSize = header.data().size(cache, header.headerVersion());
    int bodySize = data.size(cache, (short) 3);
    ByteBuffer buffer = ByteBuffer.allocate(4 + headerSize + bodySize).putInt(headerSize + bodySize);
    ByteBufferAccessor writer = new ByteBufferAccessor(buffer);
    header.data().write(writer, cache, header.headerVersion());
    data.write(writer, cache, (short) 3);
    return buffer.array();
  }

  /** "answered", "closed" or "hang". */
  private String exchange(Case next) {
    try {
      if (socket == null) {
        connect();
      }
      out.write(next.frame);
      if (next.thenHalfClose) {
        socket.shutdownOutput();
      } else {
        out.write(probe());
      }
      out.flush();
      while (true) {
        int length = in.readInt();
        if (length < 4) {
          disconnect();
          return "closed";
        }
        int correlationId = in.readInt();
        in.skipNBytes(length - 4);
        if (correlationId == PROBE_CORRELATION) {
          return "answered";
        }
      }
    } catch (SocketTimeoutException e) {
      disconnect();
      return "hang";
    } catch (EOFException e) {
      disconnect();
      return "closed";
    } catch (IOException e) {
      disconnect();
      return "closed";
    }
  }

  private void connect() throws IOException {
    socket = new Socket();
    socket.setSoLinger(true, 0);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(HANG_BOUND_MS);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  private void disconnect() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // Closing a connection the server already dropped: nothing to do.
      }
      socket = null;
    }
  }

  @Override
  public void close() {
    disconnect();
  }
}
