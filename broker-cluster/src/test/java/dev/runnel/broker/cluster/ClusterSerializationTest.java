package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.runnel.broker.RunnelConfig;
import dev.runnel.broker.partition.Partition;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.DisabledJavaSerializer;
import org.apache.pekko.serialization.JavaSerializer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the cluster work sends between nodes round-trips: the replicated map of broker endpoints, and partition
 * commands inside sharding's envelope, which are written as bytes and read from Artery's little-endian buffers.
 */
@Timeout(30)
class ClusterSerializationTest {

  private static final ActorTestKit TEST_KIT = ActorTestKit.create("endpoint-serialization", RunnelConfig.load(Map.of(
      "pekko.remote.artery.canonical.port", 0,
      "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on",
      "pekko.loglevel", "WARNING")));

  private final Serialization serialization = SerializationExtension.get(Adapter.toClassic(TEST_KIT.system()));

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  @Test
  @SuppressWarnings("unchecked")
  void when_endpointMapIsSerialized_then_itReadsBackEqual() {
    SelfUniqueAddress self = DistributedData.get(TEST_KIT.system()).selfUniqueAddress();
    BrokerEndpoint endpoint = new BrokerEndpoint(3, "broker-3.example", 9092, "broker-3.example", 8080);
    LWWMap<String, BrokerEndpoint> map = LWWMap.<String, BrokerEndpoint>create()
        .put(self, "pekko://runnel@10.0.0.3:25520", endpoint);
    assertEquals(endpoint, roundTrip(endpoint));
    assertEquals(map.getEntries(), ((LWWMap<String, BrokerEndpoint>) roundTrip(map)).getEntries());
  }

  @Test
  void when_partitionCommandIsWrittenAsBytesAndReadFromALittleEndianBuffer_then_itReadsBackEqual() throws Exception {
    ActorRef<Object> replyTo = TEST_KIT.createTestProbe().ref();
    List<Partition.Command> commands = List.of(new Partition.Delete(replyTo.unsafeUpcast()),
        new Partition.WriteTxnMarker(4_000_000_001L, (short) 2, 5, false, replyTo.unsafeUpcast()));
    ByteBuffer artery = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
    for (Partition.Command command : commands) {
      Serializer serializer = serialization.findSerializerFor(command);
      byte[] bytes = serialization.serialize(command).get();
      artery.clear();
      artery.putLong(42).put(bytes).flip();
      artery.getLong();
      Object read = ((ByteBufferSerializer) serializer).fromBinary(artery, Serializers.manifestFor(serializer, command));
      assertEquals(command, read);
    }
    assertEquals(ByteOrder.LITTLE_ENDIAN, artery.order(), "the transport buffer's order is left as it was");
  }

  private Object roundTrip(Object message) {
    Serializer serializer = serialization.findSerializerFor(message);
    assertFalse(serializer instanceof JavaSerializer || serializer instanceof DisabledJavaSerializer,
        message.getClass() + " has no serializer but Java serialization");
    byte[] bytes = serialization.serialize(message).get();
    return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message))
        .get();
  }
}
