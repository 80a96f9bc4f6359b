package dev.runnel.broker.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.group.GroupEvent.GenerationStored;
import dev.runnel.broker.group.GroupEvent.GroupDeleted;
import dev.runnel.broker.group.GroupEvent.OffsetsCommitted;
import dev.runnel.broker.group.GroupEvent.OffsetsDeleted;
import dev.runnel.broker.group.GroupEvent.OffsetsExpired;
import dev.runnel.broker.group.GroupEvent.TxnOffsetsSettled;
import dev.runnel.broker.group.GroupEvent.TxnOffsetsStaged;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class GroupSerializerTest {

  private static final GroupSerializer SERIALIZER = new GroupSerializer();
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static final TopicPartition P3 = new TopicPartition("payments", 3);
  private static final StoredMember STATIC = new StoredMember("instance-1-abc", "instance-1", "client", "/10.0.0.1",
      300_000, 45_000, "sub".getBytes(StandardCharsets.UTF_8), "assign".getBytes(StandardCharsets.UTF_8));
  private static final StoredMember DYNAMIC =
      new StoredMember("client-xyz", null, "", "", 1, 2, new byte[0], new byte[] {0, 1, 2});
  private static final Map<TopicPartition, CommittedOffset> OFFSETS = Map.of(
      P0, new CommittedOffset(42, 7, "metadata é 😀", 1_700_000_000_000L),
      P3, new CommittedOffset(0, -1, "", 1));

  static Stream<Object> messages() {
    return Stream.of(
        new GenerationStored(3, "consumer", "cooperative-sticky", "instance-1-abc", List.of(STATIC, DYNAMIC), 99),
        new GenerationStored(4, "consumer", null, null, List.of(), 100),
        new OffsetsCommitted(OFFSETS),
        new OffsetsDeleted(List.of(P0, P3)),
        new OffsetsExpired(List.of(P3)),
        new GroupDeleted(123),
        StoredGroup.EMPTY,
        new StoredGroup(5, "runnel", "range", "client-xyz", List.of(DYNAMIC, STATIC), 77, OFFSETS),
        new TxnOffsetsStaged(4_000_000_001L, (short) 3, OFFSETS),
        new TxnOffsetsSettled(4_000_000_001L, (short) 4, true),
        new TxnOffsetsSettled(7, Short.MAX_VALUE, false),
        new StoredGroup(5, "consumer", "range", null, List.of(), 77, OFFSETS,
            new PendingTxnOffsets(Map.of(7L, Map.of(P0, new CommittedOffset(50, -1, "", 2)), 8L, OFFSETS),
                Map.of(7L, (short) 0, 8L, (short) 12, 9L, (short) 2))));
  }

  @Test
  void when_aSnapshotOfTheFormatBeforeTransactionsIsRead_then_ithasNoPendingOffsets() throws Exception {
    StoredGroup before = new StoredGroup(5, "runnel", "range", "client-xyz", List.of(DYNAMIC), 77, OFFSETS);
    byte[] current = SERIALIZER.toBinary(before);
    // GS1 is GS3 without the trailing counts of producers with pending offsets and of producer epochs.
    byte[] v1 = Arrays.copyOf(current, current.length - 8);
    assertEquals(before, SERIALIZER.fromBinary(v1, "GS1"));
  }

  @Test
  void when_aSnapshotOfTheFormatBeforeEpochsIsRead_then_itsPendingOffsetsFenceNothing() throws Exception {
    PendingTxnOffsets pending = new PendingTxnOffsets(Map.of(7L, OFFSETS), Map.of());
    StoredGroup before = new StoredGroup(5, "consumer", "range", null, List.of(), 77, OFFSETS, pending);
    byte[] current = SERIALIZER.toBinary(before);
    // GS2 is GS3 without the trailing count of producer epochs.
    byte[] v2 = Arrays.copyOf(current, current.length - 4);
    StoredGroup read = (StoredGroup) SERIALIZER.fromBinary(v2, "GS2");
    assertEquals(before, read);
    assertFalse(read.pending().fences(7L, (short) 0), "a producer of the old format is fenced by nothing");
  }

  @Test
  void when_transactionalEventsOfTheFormatBeforeEpochsAreRead_then_theirEpochIsUnknown() throws Exception {
    byte[] staged = SERIALIZER.toBinary(new TxnOffsetsStaged(9, (short) 0, OFFSETS));
    // GT1 is GT2 without the epoch (a short) after the producer id (a long).
    byte[] stagedV1 = new byte[staged.length - 2];
    System.arraycopy(staged, 0, stagedV1, 0, 8);
    System.arraycopy(staged, 10, stagedV1, 8, staged.length - 10);
    assertEquals(new TxnOffsetsStaged(9, PendingTxnOffsets.NO_EPOCH, OFFSETS),
        SERIALIZER.fromBinary(stagedV1, "GT1"));
    byte[] settledV1 = {0, 0, 0, 0, 0, 0, 0, 9, 1};
    assertEquals(new TxnOffsetsSettled(9, PendingTxnOffsets.NO_EPOCH, true),
        SERIALIZER.fromBinary(settledV1, "GX1"));
  }

  @ParameterizedTest
  @MethodSource("messages")
  void when_messageIsSerialized_then_itReadsBackEqual(Object message) throws Exception {
    byte[] bytes = SERIALIZER.toBinary(message);
    assertEquals(message, SERIALIZER.fromBinary(bytes, SERIALIZER.manifest(message)));
  }

  @Test
  void when_bytesAreTruncatedOrManifestUnknown_then_notSerializableException() {
    byte[] bytes = SERIALIZER.toBinary(new OffsetsCommitted(OFFSETS));
    assertThrows(NotSerializableException.class,
        () -> SERIALIZER.fromBinary(Arrays.copyOf(bytes, bytes.length - 3), "GC1"));
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(bytes, "XX9"));
  }

  @Test
  void when_brokerConfigIsLoaded_then_groupEventsAndSnapshotUseThisSerializer() {
    ActorTestKit kit = ActorTestKit.create(
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    try {
      Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
      for (Object message : messages().toList()) {
        assertEquals(GroupSerializer.class, serialization.findSerializerFor(message).getClass(), message.toString());
      }
    } finally {
      kit.shutdownTestKit();
    }
  }
}
