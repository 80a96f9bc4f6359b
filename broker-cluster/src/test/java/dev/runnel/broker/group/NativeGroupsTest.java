package dev.runnel.broker.group;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Native members (protocol type {@code runnel}) through the broker's {@link Groups} facade on a real node: the
 * coordinator entity assigns partitions itself from the topic registry's partition counts, revokes before it
 * reassigns with cooperative-sticky, and hands a silent member's partitions to the others after its session timeout.
 */
@Timeout(120)
class NativeGroupsTest {

  private static final String TOPIC = "native";
  private static final int SESSION_MS = 2_000;
  private RunnelNode node;

  @BeforeEach
  void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of(
        "runnel.broker.group.initial-rebalance-delay", "0 s",
        "runnel.broker.group.min-session-timeout", "1 s",
        "runnel.broker.group.tick-interval", "50 ms"));
    node.broker().createTopic(TOPIC, 6, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private static byte[] subscription(Set<TopicPartition> owned, int generation) {
    ByteBuffer buffer = ConsumerProtocol.serializeSubscription(
        new Subscription(List.of(TOPIC), null, List.copyOf(owned), generation, Optional.empty()));
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private CompletableFuture<JoinResult> join(String memberId, String strategy, Set<TopicPartition> owned, int gen) {
    JoinRequest request = new JoinRequest(memberId, null, "native-client", "/127.0.0.1", SESSION_MS, 10_000,
        GroupMachine.NATIVE_PROTOCOL_TYPE, List.of(new Protocol(strategy, subscription(owned, gen))), true);
    return node.groups().join("natives", request).toCompletableFuture();
  }

  private String memberId(String strategy) throws Exception {
    JoinResult first = join("", strategy, Set.of(), -1).get(30, TimeUnit.SECONDS);
    assertEquals(Errors.MEMBER_ID_REQUIRED, first.error());
    return first.memberId();
  }

  private static Set<TopicPartition> assigned(JoinResult result) {
    assertEquals(Errors.NONE, result.error());
    return new HashSet<>(ServerAssignor.assignment(result.assignment()).partitions());
  }

  @Test
  void when_nativeMembersJoinWithRoundRobin_then_theCoordinatorSplitsTheTopicsPartitions() throws Exception {
    String a = memberId("roundrobin");
    String b = memberId("roundrobin");
    CompletableFuture<JoinResult> joinA = join(a, "roundrobin", Set.of(), -1);
    CompletableFuture<JoinResult> joinB = join(b, "roundrobin", Set.of(), -1);
    Set<TopicPartition> ofA = assigned(joinA.get(30, TimeUnit.SECONDS));
    Set<TopicPartition> ofB = assigned(joinB.get(30, TimeUnit.SECONDS));
    assertEquals(3, ofA.size());
    assertEquals(3, ofB.size());
    assertTrue(ofA.stream().noneMatch(ofB::contains));
    GroupDescription group = node.groups().describe("natives").toCompletableFuture().get();
    assertEquals(GroupState.STABLE, group.state(), "no SyncGroup round for native members");
  }

  @Test
  void when_cooperativeNativeMemberJoins_then_partitionsMoveOnlyAfterTheOwnerRejoinedWithoutThem()
      throws Exception {
    String a = memberId("cooperative-sticky");
    Set<TopicPartition> all = assigned(join(a, "cooperative-sticky", Set.of(), -1).get(30, TimeUnit.SECONDS));
    assertEquals(6, all.size());

    String b = memberId("cooperative-sticky");
    CompletableFuture<JoinResult> joinB = join(b, "cooperative-sticky", Set.of(), -1);
    assertEquals(Errors.REBALANCE_IN_PROGRESS, node.groups().heartbeat("natives", new HeartbeatRequest(a, null, 1))
        .toCompletableFuture().get(), "the owner is told to rejoin");
    JoinResult firstRound = join(a, "cooperative-sticky", all, 1).get(30, TimeUnit.SECONDS);
    Set<TopicPartition> kept = assigned(firstRound);
    assertTrue(assigned(joinB.get(30, TimeUnit.SECONDS)).isEmpty(), "nothing the owner still holds is handed out");
    assertEquals(3, kept.size());

    CompletableFuture<JoinResult> secondB = join(b, "cooperative-sticky", Set.of(), 2);
    JoinResult secondA = join(a, "cooperative-sticky", kept, 2).get(30, TimeUnit.SECONDS);
    Set<TopicPartition> gotByB = assigned(secondB.get(30, TimeUnit.SECONDS));
    assertEquals(kept, assigned(secondA), "the owner's remaining partitions never moved");
    assertEquals(3, gotByB.size());
    assertTrue(gotByB.stream().noneMatch(kept::contains));
  }

  @Test
  void when_nativeMemberStopsHeartbeating_then_itsPartitionsGoToTheOthersAfterTheSessionTimeout() throws Exception {
    String a = memberId("range");
    String b = memberId("range");
    CompletableFuture<JoinResult> joinA = join(a, "range", Set.of(), -1);
    join(b, "range", Set.of(), -1).get(30, TimeUnit.SECONDS);
    int generation = joinA.get(30, TimeUnit.SECONDS).generationId();
    // Only a heartbeats; b goes silent.
    await().pollInterval(Duration.ofMillis(300)).atMost(Duration.ofSeconds(20)).until(() ->
        node.groups().heartbeat("natives", new HeartbeatRequest(a, null, generation)).toCompletableFuture().get()
            == Errors.REBALANCE_IN_PROGRESS);
    JoinResult alone = join(a, "range", Set.of(), generation).get(30, TimeUnit.SECONDS);
    assertEquals(6, assigned(alone).size(), "the silent member's partitions moved to the one left");
    assertEquals(1, node.groups().describe("natives").toCompletableFuture().get().members().size());
  }
}
