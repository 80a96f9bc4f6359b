package dev.runnel.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.runnel.broker.group.CommittedOffset;
import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupDescription;
import dev.runnel.broker.group.GroupState;
import dev.runnel.broker.group.HeartbeatRequest;
import dev.runnel.broker.group.JoinRequest;
import dev.runnel.broker.group.JoinResult;
import dev.runnel.broker.group.LeaveRequest;
import dev.runnel.broker.group.LeaveResult;
import dev.runnel.broker.group.OffsetCommitRequest;
import dev.runnel.broker.group.TxnOffsetCommitRequest;
import dev.runnel.broker.transaction.InitProducerIdResult;
import dev.runnel.broker.transaction.TransactionCoordinator;
import dev.runnel.broker.transaction.TransactionMetadata;
import dev.runnel.broker.transaction.TransactionState;
import dev.runnel.broker.group.OffsetFetchResult;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.group.Protocol;
import dev.runnel.broker.group.SyncRequest;
import dev.runnel.broker.group.SyncResult;
import dev.runnel.broker.partition.AppendCondition;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.DeleteRecordsResult;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.KeyReadResult;
import dev.runnel.broker.partition.OffsetLookup;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionProtocolSerializer;
import dev.runnel.broker.partition.PartitionStatus;
import dev.runnel.broker.partition.TxnMarkerResult;
import dev.runnel.broker.producer.ProducerIdManager;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.TopicRegistry;
import dev.runnel.persistence.AbortedTxn;
import dev.runnel.persistence.PartitionSerializer;
import dev.runnel.persistence.PartitionState;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import dev.runnel.broker.schema.CompatibilityLevel;
import dev.runnel.broker.schema.RegistryError;
import dev.runnel.broker.schema.SchemaDraft;
import dev.runnel.broker.schema.SchemaReference;
import dev.runnel.broker.schema.SchemaType;
import dev.runnel.broker.schema.SchemaWriter;
import dev.runnel.broker.schema.WriteAnswer;
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
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every message that can cross nodes round-trips through the node's real {@link SerializationExtension}, with the
 * node's own configuration: every command of every protocol that other nodes reach (partitions and group
 * coordinators through sharding, the topic registry and the producer id allocator as singletons), every reply
 * type they answer with, and the replicated topic metadata. The lists are checked against the sealed protocols by
 * reflection, so a new command, or a command with a new reply type, fails here until it has a sample.
 */
@Timeout(60)
class WireSerializationTest {

  private static final ActorTestKit TEST_KIT = ActorTestKit.create("wire-serialization", RunnelConfig.load(Map.of(
      "pekko.remote.artery.canonical.port", 0,
      "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on",
      "pekko.loglevel", "WARNING")));

  /** The protocols whose commands may be sent from another node. */
  private static final List<Class<?>> PROTOCOLS = List.of(
      Partition.Command.class, GroupCoordinator.Command.class, TopicRegistry.Command.class,
      ProducerIdManager.Command.class, TransactionCoordinator.Command.class, SchemaWriter.Command.class,
      SchemaWriter.Write.class);

  private static final TopicPartition PARTITION = new TopicPartition("orders-eu.v2", 11);
  private static final TopicPartition OTHER = new TopicPartition("x", 0);

  private final ActorRef<Object> replyTo = TEST_KIT.createTestProbe().ref();
  private final Serialization serialization = SerializationExtension.get(Adapter.toClassic(TEST_KIT.system()));

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private static ByteBuffer batch() {
    return LogProbe.batch(1_700_000_000_000L, List.of("k1", "k2"), Arrays.asList("v1", null));
  }

  private static TopicMetadata topic() {
    return new TopicMetadata("orders-eu.v2", "AAAAAAAAAAAAAAAAAAAAAQ", 12, Map.of("retention.ms", "1000"));
  }

  @SuppressWarnings("unchecked")
  private <T> ActorRef<T> ref() {
    return (ActorRef<T>) (ActorRef<?>) replyTo;
  }

  private List<Object> commands() {
    byte[] subscription = {0, 1, 2, 3};
    return List.of(
        new Partition.Append(batch(), ref()),
        new Partition.Append(batch(), AppendCondition.endOffset(12), ref()),
        new Partition.Append(batch(), new AppendCondition(AppendCondition.ANY, "k1".getBytes(StandardCharsets.UTF_8),
            AppendCondition.NO_RECORD, 0), ref()),
        new Partition.ReadKey("k1".getBytes(StandardCharsets.UTF_8), 3, ref()),
        new Partition.Fetch(5, 1024, Duration.ofMillis(500), ref()),
        new Partition.Fetch(5, 1024, Duration.ZERO, IsolationLevel.READ_COMMITTED, ref()),
        new Partition.ListOffsets(Partition.LATEST_TIMESTAMP, IsolationLevel.READ_COMMITTED, ref()),
        new Partition.ListOffsets(Partition.EARLIEST_TIMESTAMP, ref()),
        new Partition.GetStatus(ref()),
        new Partition.Delete(ref()),
        new Partition.DeleteRecords(-1, ref()),
        new Partition.Wake(ref()),
        new Partition.WriteTxnMarker(4_000_000_001L, (short) 3, 7, true, ref()),
        new Partition.WriteTxnMarker(9, (short) 0, -1, false, ref()),
        new GroupCoordinator.Join(new JoinRequest("", "static-1", "client", "/127.0.0.1", 10_000, 30_000,
            "consumer", List.of(new Protocol("range", subscription), new Protocol("cooperative-sticky", null)),
            true), ref()),
        new GroupCoordinator.Sync(new SyncRequest("m-1", null, 3, "consumer", "range",
            Map.of("m-1", new byte[] {9}, "m-2", new byte[0])), ref()),
        new GroupCoordinator.Heartbeat(new HeartbeatRequest("m-1", null, 3), ref()),
        new GroupCoordinator.Leave(new LeaveRequest(List.of(new LeaveRequest.Leaving("m-1", null),
            new LeaveRequest.Leaving(null, "static-1"))), ref()),
        new GroupCoordinator.CommitOffsets(new OffsetCommitRequest("m-1", null, 3,
            Map.of(PARTITION, new OffsetCommitRequest.Offset(42, 7, "meta"),
                OTHER, new OffsetCommitRequest.Offset(0, -1, null))), ref()),
        new GroupCoordinator.FetchOffsets(List.of(PARTITION, OTHER), ref()),
        new GroupCoordinator.FetchOffsets(null, ref()),
        new GroupCoordinator.Describe(ref()),
        new GroupCoordinator.DeleteGroup(ref()),
        new GroupCoordinator.DeleteOffsets(List.of(PARTITION), ref()),
        new GroupCoordinator.ResetOffsets(Map.of(PARTITION, 17L, OTHER, 0L), ref()),
        new TopicRegistry.CreateTopic("orders-eu.v2", 12, Map.of("cleanup.policy", "compact"), ref()),
        new TopicRegistry.DeleteTopic("orders-eu.v2", ref()),
        new TopicRegistry.CreatePartitions("orders-eu.v2", 24, ref()),
        new TopicRegistry.AlterConfigs("orders-eu.v2", Map.of(), ref()),
        new TopicRegistry.GetTopic("orders-eu.v2", ref()),
        new ProducerIdManager.AllocateProducerId(ref()),
        new GroupCoordinator.CommitTxnOffsets(new TxnOffsetCommitRequest(4_000_000_001L, (short) 3, "m-1", null, 3,
            Map.of(PARTITION, new OffsetCommitRequest.Offset(42, 7, "meta"))), ref()),
        new GroupCoordinator.CommitTxnOffsets(new TxnOffsetCommitRequest(9, (short) 0, "", "static-1", -1,
            Map.of()), ref()),
        new GroupCoordinator.SettleTxnOffsets(4_000_000_001L, (short) 3, true, ref()),
        new TransactionCoordinator.InitProducerId(60_000, -1, (short) -1, ref()),
        new TransactionCoordinator.InitProducerId(60_000, 4_000_000_001L, (short) 3, ref()),
        new TransactionCoordinator.AddPartitions(4_000_000_001L, (short) 3, List.of(PARTITION, OTHER), false, ref()),
        new TransactionCoordinator.AddPartitions(9, (short) 0, List.of(OTHER), true, ref()),
        new TransactionCoordinator.AddOffsets(9, (short) 0, "group-1", ref()),
        new TransactionCoordinator.EndTxn(9, (short) 0, true, ref()),
        new TransactionCoordinator.Describe(ref()),
        new TransactionCoordinator.Wake(),
        new SchemaWriter.Register("users-value", new SchemaDraft(SchemaType.AVRO, "\"string\"",
            List.of(new SchemaReference("com.example.Address", "address-value", 3))), ref()),
        new SchemaWriter.Register("person-value", new SchemaDraft(SchemaType.JSON, "{}", null), ref()),
        new SchemaWriter.DeleteSubject("users-value", true, ref()),
        new SchemaWriter.DeleteVersion("users-value", "latest", false, ref()),
        new SchemaWriter.SetConfig(null, CompatibilityLevel.FULL_TRANSITIVE, ref()),
        new SchemaWriter.SetConfig("users-value", CompatibilityLevel.NONE, ref()),
        new SchemaWriter.DeleteConfig("users-value", ref()));
  }

  private static List<Object> replies() {
    return List.of(
        AppendResult.stored(40, 3),
        AppendResult.refused(Errors.MESSAGE_TOO_LARGE, "batch of 2000000 bytes"),
        AppendResult.conflicted(new AppendCondition.Conflict(44, 40, 3, "Condition not met: the key's version is 3")),
        AppendResult.conflicted(new AppendCondition.Conflict(44, AppendCondition.ANY, AppendCondition.ANY, null)),
        KeyReadResult.of(batch(), 45, true, 2, 1),
        KeyReadResult.error(Errors.KAFKA_STORAGE_ERROR, "journal read failed"),
        FetchResult.of(44, 3, batch()),
        FetchResult.of(44, 40, 3, List.of(new AbortedTxn(7, 38, 42), new AbortedTxn(9, 39, 43)), batch()),
        FetchResult.error(Errors.OFFSET_OUT_OF_RANGE, 44, 3),
        OffsetLookup.of(41, 1_700_000_000_000L),
        OffsetLookup.error(Errors.REQUEST_TIMED_OUT),
        new PartitionStatus(3, 44, 5_000, 12),
        DeleteRecordsResult.of(10),
        DeleteRecordsResult.error(Errors.POLICY_VIOLATION),
        TxnMarkerResult.DONE,
        new TxnMarkerResult(Errors.INVALID_PRODUCER_EPOCH),
        Done.getInstance(),
        new JoinResult(Errors.NONE, 4, "consumer", "range", "m-1", false, "m-1",
            List.of(new JoinResult.JoinedMember("m-1", null, new byte[] {1, 2}),
                new JoinResult.JoinedMember("m-2", "static-2", new byte[0])), new byte[] {5}),
        new JoinResult(Errors.MEMBER_ID_REQUIRED, -1, null, null, null, false, "m-9", List.of(), null),
        new SyncResult(Errors.REBALANCE_IN_PROGRESS, "consumer", "range", new byte[] {7, 8}),
        Errors.NONE,
        Errors.ILLEGAL_GENERATION,
        new LeaveResult(Errors.NONE, List.of(new LeaveResult.Left("m-1", null, Errors.NONE),
            new LeaveResult.Left("", "static-1", Errors.UNKNOWN_MEMBER_ID))),
        new PartitionErrors(Errors.NONE, Map.of(PARTITION, Errors.NONE, OTHER, Errors.OFFSET_METADATA_TOO_LARGE)),
        new OffsetFetchResult(Errors.NONE, Map.of(PARTITION, new CommittedOffset(42, 7, "meta", 1_700_000_000_000L))),
        new OffsetFetchResult(Errors.NONE, Map.of(), Set.of(PARTITION, OTHER)),
        new InitProducerIdResult(Errors.NONE, 4_000_000_001L, (short) 3),
        InitProducerIdResult.failed(Errors.CONCURRENT_TRANSACTIONS),
        new TransactionMetadata("txn|1", 4_000_000_001L, (short) 3, 4_000_000_001L, (short) 2, 60_000,
            TransactionState.PREPARE_COMMIT, Set.of(PARTITION, OTHER), Set.of("group-1"), 1_700_000_000_000L,
            1_700_000_000_500L, 4),
        TransactionMetadata.unused("fresh"),
        new GroupDescription("g-1", GroupState.STABLE, "consumer", "range", 4, "m-1",
            List.of(new GroupDescription.MemberDescription("m-1", null, "client", "/127.0.0.1", new byte[] {1},
                new byte[] {2, 3})),
            Map.of(PARTITION, new CommittedOffset(42, -1, "", 5L))),
        new TopicRegistry.Reply(topic(), Errors.NONE, null),
        new TopicRegistry.Reply(null, Errors.TOPIC_ALREADY_EXISTS, "Topic 'orders-eu.v2' already exists."),
        7L,
        new SchemaWriter.Written(new WriteAnswer(12, null, null), null, 40),
        new SchemaWriter.Written(new WriteAnswer(null, List.of(1, 2), CompatibilityLevel.BACKWARD), null, 41),
        new SchemaWriter.Written(null, new RegistryError(409, 409, "incompatible"), -1));
  }

  @Test
  void everyCommandOfEveryRemoteProtocolRoundTrips() {
    List<Object> commands = commands();
    for (Class<?> protocol : PROTOCOLS) {
      for (Class<?> type : protocol.getPermittedSubclasses()) {
        if (NoSerializationVerificationNeeded.class.isAssignableFrom(type)) {
          // A message of the actor to itself; it must not be reachable from another node.
          assertFalse(java.lang.reflect.Modifier.isPublic(type.getModifiers()),
              type + " is public but marked local-only");
          continue;
        }
        assertTrue(commands.stream().anyMatch(type::isInstance), "no sample of " + type.getName());
      }
    }
    commands.forEach(this::assertRoundTrips);
  }

  @Test
  void everyReplyTypeRoundTrips() {
    List<Object> replies = replies();
    for (Class<?> type : replyTypes()) {
      assertTrue(replies.stream().anyMatch(type::isInstance), "no sample of reply type " + type.getName());
    }
    replies.forEach(this::assertRoundTrips);
  }

  @Test
  void controlMessagesUseJacksonCborAndPartitionMessagesTheBinarySerializer() {
    assertTrue(serialization.findSerializerFor(new GroupCoordinator.Describe(ref())) instanceof JacksonCborSerializer);
    assertTrue(serialization.findSerializerFor(Errors.NONE) instanceof JacksonCborSerializer);
    // KafkaJacksonModule writes an error as its code: one CBOR byte for code 22, not the constant's name.
    assertEquals(1, serialization.serialize(Errors.ILLEGAL_GENERATION).get().length, "ILLEGAL_GENERATION as a code");
    Serializer partition = serialization.findSerializerFor(new Partition.GetStatus(ref()));
    assertTrue(partition instanceof PartitionProtocolSerializer, "partition protocol serializer " + partition);
    // The protocol's serializer must not displace the journal's, bound under a name of its own.
    assertTrue(serialization.findSerializerFor(PartitionState.EMPTY) instanceof PartitionSerializer,
        "journal serializer " + serialization.findSerializerFor(PartitionState.EMPTY));
  }

  /** Record batches are written as they are: the serialized form holds exactly the batch's bytes at its end. */
  @Test
  void recordBatchesAreCarriedVerbatim() {
    ByteBuffer records = batch();
    byte[] expected = new byte[records.remaining()];
    records.duplicate().get(expected);
    for (Object message : List.of(new Partition.Append(records, ref()), FetchResult.of(1, 0, records))) {
      byte[] bytes = serialization.serialize(message).get();
      byte[] tail = Arrays.copyOfRange(bytes, bytes.length - expected.length, bytes.length);
      assertTrue(Arrays.equals(expected, tail), "batch bytes at the end of " + message.getClass().getSimpleName());
      assertTrue(bytes.length - expected.length < 200, "overhead of " + message.getClass().getSimpleName());
    }
    assertEquals(expected.length, records.remaining(), "serializing must not consume the message's buffer");
  }

  /**
   * Artery hands the binary serializer its own buffers and reuses them once a message is read: what was read
   * must not change when the buffer does.
   */
  @Test
  void messagesReadFromATransportBufferOwnTheirBytes() throws Exception {
    Object[] messages = {new Partition.Append(batch(), ref()), FetchResult.of(44, 3, batch())};
    for (Object message : messages) {
      Serializer serializer = serialization.findSerializerFor(message);
      String manifest = Serializers.manifestFor(serializer, message);
      ByteBuffer transport = ByteBuffer.allocateDirect(64 * 1024);
      ((ByteBufferSerializer) serializer).toBinary(message, transport);
      transport.flip();
      Object read = ((ByteBufferSerializer) serializer).fromBinary(transport, manifest);
      transport.clear();
      while (transport.hasRemaining()) {
        transport.put((byte) 0x5a);
      }
      assertDeepEquals(message, read, message.getClass().getSimpleName());
      // Pekko's wrapped payloads (a sharding envelope's) are written as bytes and read through a little-endian
      // buffer, Pekko's order for buffer serializers.
      byte[] bytes = serializer.toBinary(message);
      Object wrapped = ((ByteBufferSerializer) serializer).fromBinary(
          ByteBuffer.wrap(bytes).asReadOnlyBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN), manifest);
      assertDeepEquals(message, wrapped, message.getClass().getSimpleName() + " as a wrapped payload");
    }
  }

  @Test
  void replicatedTopicMetadataRoundTrips() {
    SelfUniqueAddress self = DistributedData.get(TEST_KIT.system()).selfUniqueAddress();
    LWWMap<String, TopicMetadata> map = LWWMap.<String, TopicMetadata>create()
        .put(self, "orders-eu.v2", topic())
        .put(self, "empty", new TopicMetadata("empty", "AAAAAAAAAAAAAAAAAAAAAg", 1, Map.of()));
    @SuppressWarnings("unchecked")
    LWWMap<String, TopicMetadata> read = (LWWMap<String, TopicMetadata>) roundTrip(map);
    assertEquals(map.getEntries(), read.getEntries());
    assertRoundTrips(topic());
  }

  /** The reply types of every command of every protocol, from the type arguments of their reply-to refs. */
  private static Set<Class<?>> replyTypes() {
    Set<Class<?>> types = new LinkedHashSet<>();
    for (Class<?> protocol : PROTOCOLS) {
      for (Class<?> type : protocol.getPermittedSubclasses()) {
        if (!type.isRecord()) {
          continue;
        }
        for (RecordComponent component : type.getRecordComponents()) {
          if (component.getType() == ActorRef.class) {
            Type argument = ((ParameterizedType) component.getGenericType()).getActualTypeArguments()[0];
            assertTrue(argument instanceof Class<?>, type + " replies with a generic type " + argument
                + ": give it a record of its own, a generic payload cannot be bound to a serializer");
            types.add((Class<?>) argument);
          }
        }
      }
    }
    return types;
  }

  private void assertRoundTrips(Object message) {
    assertDeepEquals(message, roundTrip(message), message.getClass().getName());
  }

  private Object roundTrip(Object message) {
    Serializer serializer = serialization.findSerializerFor(message);
    assertFalse(serializer instanceof JavaSerializer || serializer instanceof DisabledJavaSerializer,
        message.getClass() + " has no serializer but Java serialization");
    byte[] bytes = serialization.serialize(message).get();
    String manifest = Serializers.manifestFor(serializer, message);
    Object read = serialization.deserialize(bytes, serializer.identifier(), manifest).get();
    assertNotNull(read, message.getClass().getName());
    return read;
  }

  /** Equality that looks into records, collections and arrays (records compare arrays by identity). */
  private static void assertDeepEquals(Object expected, Object actual, String where) {
    if (expected == null || actual == null) {
      assertEquals(expected, actual, where);
    } else if (expected instanceof byte[] bytes) {
      assertTrue(actual instanceof byte[] other && Arrays.equals(bytes, other), where);
    } else if (expected instanceof Map<?, ?> map) {
      Map<?, ?> other = (Map<?, ?>) actual;
      assertEquals(map.keySet(), other.keySet(), where);
      map.forEach((key, value) -> assertDeepEquals(value, other.get(key), where + "[" + key + "]"));
    } else if (expected instanceof List<?> list) {
      List<?> other = (List<?>) actual;
      assertEquals(list.size(), other.size(), where);
      for (int i = 0; i < list.size(); i++) {
        assertDeepEquals(list.get(i), other.get(i), where + "[" + i + "]");
      }
    } else if (expected instanceof Optional<?> optional) {
      assertDeepEquals(optional.orElse(null), ((Optional<?>) actual).orElse(null), where);
    } else if (expected.getClass().isRecord()) {
      assertEquals(expected.getClass(), actual.getClass(), where);
      for (RecordComponent component : expected.getClass().getRecordComponents()) {
        try {
          component.getAccessor().setAccessible(true);
          assertDeepEquals(component.getAccessor().invoke(expected), component.getAccessor().invoke(actual),
              where + "." + component.getName());
        } catch (ReflectiveOperationException e) {
          fail(e);
        }
      }
    } else {
      assertEquals(expected, actual, where);
    }
  }

}
