package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.group.GroupDescription;
import dev.runnel.broker.group.GroupState;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Consumer groups with the real kafka-clients 4.4 consumer (classic protocol) against an in-process node: partition
 * splitting, exactly-once reading with commits after processing, leaving, joining, crashing, cooperative and static
 * membership, and offsets surviving a restart.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class KafkaConsumerGroupsTest {

  private static final int SESSION_MS = 3_000;
  private static final int PARTITIONS = 6;

  private Path dataDir;
  private RunnelNode node;
  private Admin admin;
  private final List<GroupMemberThread> members = new ArrayList<>();

  @BeforeEach
  void start() {
    dataDir = TestNodes.newDataDir();
    node = startNode();
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
  }

  private RunnelNode startNode() {
    return startNode(0);
  }

  private RunnelNode startNode(int kafkaPort) {
    return TestNodes.start(dataDir, Map.of(
        "runnel.broker.kafka.port", kafkaPort,
        "runnel.broker.group.min-session-timeout", "1 s",
        "runnel.broker.group.initial-rebalance-delay", "500 ms",
        "runnel.broker.group.tick-interval", "50 ms"));
  }

  @AfterEach
  void stop() {
    members.forEach(GroupMemberThread::close);
    admin.close();
    node.close();
  }

  private String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  private void createTopic(String topic) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
  }

  /** Produces {@code count} records "prefix-i", spread evenly over the partitions. */
  private void produce(String topic, String prefix, int count) throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      for (int i = 0; i < count; i++) {
        producer.send(new ProducerRecord<>(topic, i % PARTITIONS, null, prefix + "-" + i));
      }
      producer.flush();
    }
  }

  private GroupMemberThread member(String name, String group, String topic, Map<String, AtomicInteger> counts,
      Map<String, Object> extra, boolean commit) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_MS);
    config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
    config.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 20_000);
    config.putAll(extra);
    GroupMemberThread member =
        new GroupMemberThread(name, new KafkaConsumer<>(config), List.of(topic), counts, commit);
    members.add(member);
    return member;
  }

  private static void awaitAssignments(List<GroupMemberThread> group, int... sizes) {
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      Set<TopicPartition> all = new HashSet<>();
      for (int i = 0; i < group.size(); i++) {
        assertNull(group.get(i).failure(), group.get(i).name + " failed");
        assertEquals(sizes[i], group.get(i).assignment().size(),
            group.get(i).name + " holds " + group.get(i).assignment());
        all.addAll(group.get(i).assignment());
      }
      assertEquals(PARTITIONS, all.size(), "every partition has exactly one owner");
    });
  }

  private static void awaitAllReadOnce(Map<String, AtomicInteger> counts, String prefix, int count) {
    await().atMost(Duration.ofSeconds(120)).until(() ->
        counts.keySet().stream().filter(v -> v.startsWith(prefix + "-")).count() == count);
    for (Map.Entry<String, AtomicInteger> entry : counts.entrySet()) {
      assertEquals(1, entry.getValue().get(), entry.getKey() + " was read more than once");
    }
  }

  @Test
  void when_threeConsumersShareSixPartitions_then_everyRecordIsReadOnceThroughLeavesAndJoins() throws Exception {
    String topic = "orders";
    createTopic(topic);
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    Map<String, Object> range =
        Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
    List<GroupMemberThread> group = new ArrayList<>(List.of(
        member("c1", "g1", topic, counts, range, true),
        member("c2", "g1", topic, counts, range, true),
        member("c3", "g1", topic, counts, range, true)));
    awaitAssignments(group, 2, 2, 2);

    produce(topic, "a", 60_000);
    awaitAllReadOnce(counts, "a", 60_000);

    GroupMemberThread leaving = group.remove(2);
    leaving.close();
    awaitAssignments(group, 3, 3);
    produce(topic, "b", 6_000);
    awaitAllReadOnce(counts, "b", 6_000);

    group.add(member("c4", "g1", topic, counts, range, true));
    awaitAssignments(group, 2, 2, 2);
    produce(topic, "c", 6_000);
    awaitAllReadOnce(counts, "c", 6_000);
    assertFalse(group.get(2).received.isEmpty(), "the fourth consumer read its share");

    Map<String, AtomicInteger> second = new ConcurrentHashMap<>();
    member("other", "g2", topic, second, Map.of(), true);
    await().atMost(Duration.ofSeconds(60)).until(() -> second.size() == 72_000);
    assertTrue(second.values().stream().allMatch(c -> c.get() == 1), "a second group reads everything once too");

    ConsumerGroupDescription described =
        admin.describeConsumerGroups(List.of("g1")).all().get(30, TimeUnit.SECONDS).get("g1");
    assertEquals(org.apache.kafka.common.GroupState.STABLE, described.groupState());
    assertEquals(3, described.members().size());
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets("g1").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    assertEquals(PARTITIONS, committed.size());
    committed.values().forEach(offset -> assertEquals(12_000, offset.offset(), "everything was committed"));
  }

  @Test
  void when_cooperativeConsumersRebalance_then_partitionsThatStayAreNeverRevoked() throws Exception {
    String topic = "coop";
    createTopic(topic);
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    Map<String, Object> cooperative =
        Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    List<GroupMemberThread> group = new ArrayList<>(List.of(
        member("k1", "coop-group", topic, counts, cooperative, true),
        member("k2", "coop-group", topic, counts, cooperative, true),
        member("k3", "coop-group", topic, counts, cooperative, true)));
    awaitAssignments(group, 2, 2, 2);
    produce(topic, "a", 60_000);
    awaitAllReadOnce(counts, "a", 60_000);

    Map<String, Set<TopicPartition>> before = new HashMap<>();
    group.forEach(m -> {
      before.put(m.name, m.assignment());
      m.revoked.clear();
    });
    GroupMemberThread leaving = group.remove(2);
    leaving.close();
    awaitAssignments(group, 3, 3);
    for (GroupMemberThread survivor : group) {
      assertTrue(survivor.revoked.isEmpty(), survivor.name + " kept its partitions, yet revoked " + survivor.revoked);
      assertTrue(survivor.assignment().containsAll(before.get(survivor.name)));
    }

    group.add(member("k4", "coop-group", topic, counts, cooperative, true));
    awaitAssignments(group, 2, 2, 2);
    Set<TopicPartition> movedToNewcomer = group.get(2).assignment();
    for (GroupMemberThread survivor : group.subList(0, 2)) {
      assertTrue(movedToNewcomer.containsAll(survivor.revoked),
          survivor.name + " revoked only what moved to the newcomer: " + survivor.revoked);
    }
    produce(topic, "b", 6_000);
    awaitAllReadOnce(counts, "b", 6_000);
  }

  @Test
  void when_consumerIsKilledWithoutLeaving_then_afterSessionTimeoutItsUncommittedRecordsGoToTheNewOwner()
      throws Exception {
    String topic = "crash";
    createTopic(topic);
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    GroupMemberThread survivor = member("s", "crash-group", topic, counts, Map.of(), true);
    GroupMemberThread doomed = member("d", "crash-group", topic, counts, Map.of(), false);
    awaitAssignments(List.of(survivor, doomed), 3, 3);
    Set<TopicPartition> doomedPartitions = doomed.assignment();
    produce(topic, "a", 6_000);
    await().atMost(Duration.ofSeconds(60))
        .until(() -> doomed.received.size() == 3_000 && survivor.received.size() == 3_000);

    doomed.kill();
    GroupDescription stillThere =
        node.groups().describe("crash-group").toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(2, stillThere.members().size(), "a member that did not leave stays until its session times out");
    await().atMost(Duration.ofSeconds(30)).until(() -> survivor.assignment().size() == PARTITIONS);
    assertTrue(survivor.assignment().containsAll(doomedPartitions));
    await().atMost(Duration.ofSeconds(60)).until(() -> survivor.received.containsAll(doomed.received));
    assertEquals(6_000, survivor.received.size(), "the killed consumer's uncommitted records were delivered again");
  }

  @Test
  void when_staticMemberRestartsWithinSessionTimeout_then_itGetsItsPartitionsBackWithoutRebalancingOthers()
      throws Exception {
    String topic = "static";
    createTopic(topic);
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    Map<String, Object> session = Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 15_000);
    Map<String, Object> a = new HashMap<>(session);
    a.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-a");
    Map<String, Object> b = new HashMap<>(session);
    b.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-b");
    GroupMemberThread first = member("a1", "static-group", topic, counts, a, true);
    GroupMemberThread other = member("b", "static-group", topic, counts, b, true);
    awaitAssignments(List.of(first, other), 3, 3);
    Set<TopicPartition> partitionsOfA = first.assignment();
    int generation = other.generation();
    int otherRebalances = other.assignedCalls.get();

    first.kill();
    GroupMemberThread restarted = member("a2", "static-group", topic, counts, a, true);
    await().atMost(Duration.ofSeconds(30)).until(() -> restarted.assignment().equals(partitionsOfA));
    produce(topic, "a", 600);
    awaitAllReadOnce(counts, "a", 600);
    assertEquals(generation, other.generation(), "no new generation");
    assertEquals(otherRebalances, other.assignedCalls.get(), "the other member was not rebalanced");
    assertTrue(other.revoked.isEmpty());
  }

  @Test
  void when_brokerRestarts_then_committedOffsetsAndGenerationSurvive() throws Exception {
    String topic = "durable";
    createTopic(topic);
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    GroupMemberThread consumer = member("c", "durable-group", topic, counts, Map.of(), true);
    awaitAssignments(List.of(consumer), 6);
    produce(topic, "a", 600);
    awaitAllReadOnce(counts, "a", 600);
    await().atMost(Duration.ofSeconds(30)).until(() -> committedTotal("durable-group") == 600);
    GroupDescription before =
        node.groups().describe("durable-group").toCompletableFuture().get(10, TimeUnit.SECONDS);
    consumer.close();
    members.clear();
    admin.close();
    node.close();

    node = startNode();
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    GroupDescription after =
        node.groups().describe("durable-group").toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(before.generationId() + 1, after.generationId(), "the generation in which the member left is kept");
    assertEquals(GroupState.EMPTY, after.state());
    assertEquals(600, committedTotal("durable-group"));
    produce(topic, "b", 60);
    Map<String, AtomicInteger> resumed = new ConcurrentHashMap<>();
    member("c2", "durable-group", topic, resumed, Map.of(), true);
    await().atMost(Duration.ofSeconds(60)).until(() -> resumed.size() == 60);
    assertTrue(resumed.keySet().stream().allMatch(v -> v.startsWith("b-")), "only the records after the commits");
  }

  @Test
  void when_brokerRestartsUnderAStableGroup_then_membersCarryOnInTheSameGenerationFromTheirCommits()
      throws Exception {
    int port = node.kafkaPort();
    String topic = "restart";
    createTopic(topic);
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    // With its only broker gone, a 4.x client by default forgets its metadata and bootstraps again (KIP-899);
    // the emptied metadata alone makes it rejoin, which is the client's doing, not the coordinator's.
    Map<String, Object> patient = Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 20_000,
        org.apache.kafka.clients.CommonClientConfigs.METADATA_RECOVERY_STRATEGY_CONFIG, "none");
    List<GroupMemberThread> group = List.of(
        member("r1", "restart-group", topic, counts, patient, true),
        member("r2", "restart-group", topic, counts, patient, true));
    awaitAssignments(group, 3, 3);
    produce(topic, "a", 600);
    awaitAllReadOnce(counts, "a", 600);
    int generation = group.get(0).generation();
    int rebalances = group.get(0).assignedCalls.get() + group.get(1).assignedCalls.get();
    admin.close();
    node.close();

    // The same port, so the running consumers find the node again.
    node = startNode(port);
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    GroupDescription recovered =
        node.groups().describe("restart-group").toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(generation, recovered.generationId(), "the generation survived the restart");
    assertEquals(GroupState.STABLE, recovered.state());
    assertEquals(2, recovered.members().size());
    produce(topic, "b", 600);
    awaitAllReadOnce(counts, "b", 600);
    assertEquals(generation, group.get(0).generation());
    assertEquals(generation, group.get(1).generation());
    assertEquals(rebalances, group.get(0).assignedCalls.get() + group.get(1).assignedCalls.get(),
        "nobody rebalanced");
  }

  private long committedTotal(String group) throws Exception {
    return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
        .values().stream().mapToLong(OffsetAndMetadata::offset).sum();
  }
}
