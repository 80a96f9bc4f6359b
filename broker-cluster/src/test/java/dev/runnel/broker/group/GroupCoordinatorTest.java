package dev.runnel.broker.group;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.group.GroupEvent.GenerationStored;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The coordinator entity around the state machine: parked requests answered after persistence, its own timer for
 * deadlines, and recovery of generations and offsets from events and snapshots (in-memory journal, with every
 * event and snapshot passed through {@link GroupSerializer}).
 */
@Timeout(60)
class GroupCoordinatorTest {

  private static final Config CONFIG = ConfigFactory.parseString("pekko.actor.provider = local")
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(ConfigFactory.load());
  private static final ActorTestKit TEST_KIT = ActorTestKit.create("group-coordinator-test", CONFIG);
  private static final int SESSION = 6_000;
  private static final TopicPartition P0 = new TopicPartition("t", 0);

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final AtomicInteger ids = new AtomicInteger();
  private EventSourcedBehaviorTestKit<GroupCoordinator.Command, GroupEvent, StoredGroup> coordinator;

  @BeforeEach
  void start() {
    GroupSettings settings = new GroupSettings(Duration.ZERO, Duration.ofSeconds(6), Duration.ofMinutes(30),
        Duration.ofDays(7), 4096, Duration.ofMillis(20), 3);
    GroupMachine machine = new GroupMachine(settings, () -> "u" + ids.incrementAndGet(), topic -> 6);
    coordinator = EventSourcedBehaviorTestKit.create(TEST_KIT.system(),
        GroupCoordinator.create("g-" + System.nanoTime(), settings, machine, clock::get),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false));
  }

  @AfterAll
  static void stop() {
    TEST_KIT.shutdownTestKit();
  }

  private static JoinRequest join(String memberId) {
    return new JoinRequest(memberId, null, "client", "/127.0.0.1", SESSION, 30_000, "consumer",
        List.of(new Protocol("range", "sub".getBytes(StandardCharsets.UTF_8))), false);
  }

  private JoinResult joinAlone() {
    JoinResult joined = coordinator.<JoinResult>runCommand(r -> new GroupCoordinator.Join(join(""), r)).reply();
    assertEquals(Errors.NONE, joined.error());
    return joined;
  }

  private SyncResult syncAsLeader(JoinResult joined, String assignment) {
    return coordinator.<SyncResult>runCommand(r -> new GroupCoordinator.Sync(new SyncRequest(joined.memberId(), null,
        joined.generationId(), "consumer", "range",
        Map.of(joined.memberId(), assignment.getBytes(StandardCharsets.UTF_8))), r)).reply();
  }

  private PartitionErrors commit(JoinResult joined, long offset) {
    return coordinator.<PartitionErrors>runCommand(r -> new GroupCoordinator.CommitOffsets(new OffsetCommitRequest(
        joined.memberId(), null, joined.generationId(), Map.of(P0, new OffsetCommitRequest.Offset(offset, -1, "m"))),
        r)).reply();
  }

  @Test
  void when_memberJoinsSyncsAndCommits_then_restartKeepsGenerationMembersAndOffsets() {
    JoinResult joined = joinAlone();
    var sync = coordinator.<SyncResult>runCommand(r -> new GroupCoordinator.Sync(new SyncRequest(joined.memberId(),
        null, 1, "consumer", "range", Map.of(joined.memberId(), "mine".getBytes(StandardCharsets.UTF_8))), r));
    assertInstanceOf(GenerationStored.class, sync.event(), "the assignment is persisted");
    assertArrayEquals("mine".getBytes(StandardCharsets.UTF_8), sync.reply().assignment());
    assertEquals(Errors.NONE, commit(joined, 42).partitions().get(P0));

    coordinator.restart();
    assertEquals(1, coordinator.getState().generationId());
    assertEquals(42, coordinator.getState().offsets().get(P0).offset());
    assertEquals(Errors.NONE, coordinator.<Errors>runCommand(r -> new GroupCoordinator.Heartbeat(
        new HeartbeatRequest(joined.memberId(), null, 1), r)).reply(), "the member carries on after the restart");
    GroupDescription described = coordinator.<GroupDescription>runCommand(GroupCoordinator.Describe::new).reply();
    assertEquals(GroupState.STABLE, described.state());
    assertEquals(joined.memberId(), described.members().get(0).memberId());
    assertEquals(42, coordinator.<OffsetFetchResult>runCommand(r -> new GroupCoordinator.FetchOffsets(List.of(P0), r))
        .reply().offsets().get(P0).offset());
  }

  @Test
  void when_twoMembersJoin_then_theirParkedJoinsAreAnsweredWithTheSameGeneration() {
    TestProbe<JoinResult> first = TEST_KIT.createTestProbe();
    TestProbe<JoinResult> second = TEST_KIT.createTestProbe();
    JoinResult a = joinAlone();
    syncAsLeader(a, "x");
    coordinator.runCommand(new GroupCoordinator.Join(join(""), second.ref()));
    second.expectNoMessage(Duration.ofMillis(100));
    coordinator.runCommand(new GroupCoordinator.Join(join(a.memberId()), first.ref()));
    JoinResult leader = first.receiveMessage();
    JoinResult follower = second.receiveMessage();
    assertEquals(2, leader.generationId());
    assertEquals(2, follower.generationId());
    assertEquals(2, leader.members().size(), "the leader learns both members");
    assertTrue(follower.members().isEmpty());
  }

  @Test
  void when_memberStopsHeartbeating_then_theCoordinatorsTimerRemovesItAfterTheSessionTimeout() {
    JoinResult joined = joinAlone();
    syncAsLeader(joined, "x");
    clock.addAndGet(SESSION - 1);
    await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() ->
        coordinator.<GroupDescription>runCommand(GroupCoordinator.Describe::new).reply().state() == GroupState.STABLE);
    clock.addAndGet(1);
    await().atMost(Duration.ofSeconds(5)).until(() ->
        coordinator.<GroupDescription>runCommand(GroupCoordinator.Describe::new).reply().members().isEmpty());
    assertEquals(2, coordinator.getState().generationId(), "becoming empty was persisted as a generation");
    assertTrue(coordinator.getState().members().isEmpty());
  }

  @Test
  void when_manyCommitsAreSnapshotted_then_recoveryHasTheLatestOffsets() {
    JoinResult joined = joinAlone();
    syncAsLeader(joined, "x");
    for (int offset = 1; offset <= 10; offset++) {
      assertEquals(Errors.NONE, commit(joined, offset).partitions().get(P0));
    }
    coordinator.restart();
    assertEquals(10, coordinator.getState().offsets().get(P0).offset());
  }

  @Test
  void when_commitIsRefused_then_nothingIsPersisted() {
    JoinResult joined = joinAlone();
    var refused = coordinator.<PartitionErrors>runCommand(r -> new GroupCoordinator.CommitOffsets(
        new OffsetCommitRequest(joined.memberId(), null, 7, Map.of(P0, new OffsetCommitRequest.Offset(1, -1, ""))),
        r));
    assertEquals(Errors.ILLEGAL_GENERATION, refused.reply().partitions().get(P0));
    assertTrue(refused.hasNoEvents());
    assertTrue(coordinator.getState().offsets().isEmpty());
    var reset = coordinator.<PartitionErrors>runCommand(r -> new GroupCoordinator.ResetOffsets(Map.of(P0, 5L), r));
    assertEquals(Errors.NON_EMPTY_GROUP, reset.reply().partitions().get(P0), "no reset while the group has members");
    assertTrue(reset.hasNoEvents());
  }
}
