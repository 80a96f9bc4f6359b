package dev.runnel.broker.transaction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.io.NotSerializableException;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class TransactionSerializerTest {

  private static final TransactionSerializer SERIALIZER = new TransactionSerializer();
  private static final TransactionMetadata DECIDING = new TransactionMetadata("orders|eu é", 4_000_000_001L,
      (short) 3, 4_000_000_001L, (short) 2, 60_000, TransactionState.PREPARE_COMMIT,
      Set.of(new TopicPartition("a", 0), new TopicPartition("b-c", 11)), Set.of("group-1", "group-2"),
      1_700_000_000_000L, 1_700_000_000_500L, 4);

  static Stream<Object> messages() {
    return Stream.of(DECIDING, new TransitionStored(DECIDING), TransactionMetadata.unused("fresh"),
        new TransitionStored(TransactionMetadata.unused("")));
  }

  @ParameterizedTest
  @MethodSource("messages")
  void when_messageIsSerialized_then_itReadsBackEqual(Object message) throws Exception {
    assertEquals(message, SERIALIZER.fromBinary(SERIALIZER.toBinary(message), SERIALIZER.manifest(message)));
  }

  @Test
  void when_bytesAreTruncatedOrManifestUnknown_then_notSerializableException() {
    byte[] bytes = SERIALIZER.toBinary(new TransitionStored(DECIDING));
    assertThrows(NotSerializableException.class,
        () -> SERIALIZER.fromBinary(Arrays.copyOf(bytes, bytes.length - 3), "TT1"));
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(bytes, "TT9"));
  }

  @Test
  void when_brokerConfigIsLoaded_then_theEventAndSnapshotUseThisSerializer() {
    ActorTestKit kit = ActorTestKit.create(
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    try {
      Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
      for (Object message : messages().toList()) {
        assertEquals(TransactionSerializer.class, serialization.findSerializerFor(message).getClass());
      }
    } finally {
      kit.shutdownTestKit();
    }
  }
}
