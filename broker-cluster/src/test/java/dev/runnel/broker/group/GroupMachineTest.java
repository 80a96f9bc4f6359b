package dev.runnel.broker.group;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.group.GroupEvent.GenerationStored;
import dev.runnel.broker.group.GroupEvent.OffsetsCommitted;
import dev.runnel.broker.group.GroupEvent.OffsetsExpired;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The coordinator's rules, step by step with chosen times: no actor, no clock. */
@Timeout(30)
class GroupMachineTest {

  private static final int SESSION = 10_000;
  private static final int REBALANCE = 30_000;
  private static final long DELAY = 3_000;
  private static final long RETENTION = Duration.ofDays(7).toMillis();

  private final AtomicInteger ids = new AtomicInteger();
  /** Topic name to partition count as the coordinator sees it; a test may create or grow topics. */
  private final Map<String, Integer> partitionCounts = new HashMap<>(Map.of("t", 6));
  private final GroupMachine machine = new GroupMachine(
      new GroupSettings(Duration.ofMillis(DELAY), Duration.ofSeconds(6), Duration.ofMinutes(30),
          Duration.ofMillis(RETENTION), 16, Duration.ofMillis(100), 100),
      () -> "u" + ids.incrementAndGet(),
      topic -> partitionCounts.getOrDefault(topic, 0));

  private Group group = Group.empty("g");
  private StoredGroup stored = StoredGroup.EMPTY;
  private long now = 1_000_000;
  private final Map<String, JoinResult> joins = new HashMap<>();
  private final Map<String, SyncResult> syncs = new HashMap<>();
  private final List<GroupEvent> events = new ArrayList<>();

  private <R> Outcome<R> run(Outcome<R> outcome) {
    group = outcome.group();
    outcome.events().forEach(event -> stored = stored.apply(event));
    events.addAll(outcome.events());
    outcome.joins().forEach(d -> joins.put(d.memberId(), d.result()));
    outcome.syncs().forEach(d -> syncs.put(d.memberId(), d.result()));
    return outcome;
  }

  private static byte[] subscription(List<String> topics, List<TopicPartition> owned, int generation) {
    ByteBuffer buffer = ConsumerProtocol.serializeSubscription(
        new Subscription(topics, null, owned, generation, java.util.Optional.empty()));
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private static JoinRequest request(String memberId, String instanceId, String type, List<Protocol> protocols) {
    return new JoinRequest(memberId, instanceId, "client", "/127.0.0.1", SESSION, REBALANCE, type, protocols, true);
  }

  private static JoinRequest consumer(String memberId, String instanceId) {
    return request(memberId, instanceId, "consumer",
        List.of(new Protocol("range", subscription(List.of("t"), List.of(), -1))));
  }

  /** A dynamic consumer's two-step join (KIP-394); returns its member id, its JoinGroup parked. */
  private String joinNew() {
    JoinResult first = run(machine.join(group, consumer("", null), now)).reply();
    assertEquals(Errors.MEMBER_ID_REQUIRED, first.error(), "a new dynamic member first learns its id");
    Outcome<JoinResult> second = run(machine.join(group, consumer(first.memberId(), null), now));
    assertNull(second.reply(), "the join waits for the rebalance");
    assertEquals(first.memberId(), second.parkedMemberId());
    return first.memberId();
  }

  private void tickAt(long time) {
    now = time;
    run(machine.tick(group, now));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Forms a stable group of {@code count} dynamic members; the leader assigns "a-<member>" to each. */
  private List<String> stableGroup(int count) {
    List<String> members = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      members.add(joinNew());
    }
    tickAt(now + DELAY);
    String leader = group.leaderId();
    Map<String, byte[]> assignments = new HashMap<>();
    members.forEach(m -> assignments.put(m, bytes("a-" + m)));
    for (String member : members) {
      if (!member.equals(leader)) {
        run(machine.sync(group,
            new SyncRequest(member, null, group.generationId(), "consumer", "range", Map.of()), now));
      }
    }
    run(machine.sync(group,
        new SyncRequest(leader, null, group.generationId(), "consumer", "range", assignments), now));
    assertEquals(GroupState.STABLE, group.state());
    return members;
  }

  @Test
  void when_firstMemberJoins_then_rebalanceWaitsForInitialDelayAndLeaderGetsMembers() {
    String member = joinNew();
    assertEquals(GroupState.PREPARING_REBALANCE, group.state());
    tickAt(now + DELAY - 1);
    assertFalse(joins.containsKey(member), "the initial rebalance delay has not passed");
    tickAt(now + 1);
    JoinResult joined = joins.get(member);
    assertEquals(Errors.NONE, joined.error());
    assertEquals(1, joined.generationId());
    assertEquals(member, joined.leaderId());
    assertEquals("range", joined.protocolName());
    assertEquals(1, joined.members().size(), "the leader learns every member");
    assertEquals(GroupState.COMPLETING_REBALANCE, group.state());
  }

  @Test
  void when_threeMembersJoin_then_oneGenerationAndEachGetsTheLeadersAssignment() {
    List<String> members = stableGroup(3);
    assertEquals(1, group.generationId(), "all three joined within the initial delay: one rebalance");
    for (String member : members) {
      assertEquals(1, joins.get(member).generationId());
      assertEquals(member.equals(group.leaderId()) ? 3 : 0, joins.get(member).members().size());
      assertArrayEquals(bytes("a-" + member), syncs.get(member).assignment());
    }
    GenerationStored generation = (GenerationStored) events.get(events.size() - 1);
    assertEquals(3, generation.members().size(), "the assignment is persisted before members get it");
  }

  @Test
  void when_followerSyncsBeforeLeader_then_itWaitsForTheLeadersAssignment() {
    String a = joinNew();
    String b = joinNew();
    tickAt(now + DELAY);
    String follower = a.equals(group.leaderId()) ? b : a;
    Outcome<SyncResult> waiting =
        run(machine.sync(group, new SyncRequest(follower, null, 1, "consumer", "range", Map.of()), now));
    assertNull(waiting.reply());
    assertFalse(syncs.containsKey(follower));
    run(machine.sync(group, new SyncRequest(group.leaderId(), null, 1, "consumer", "range",
        Map.of(follower, bytes("x"))), now));
    assertArrayEquals(bytes("x"), syncs.get(follower).assignment());
  }

  @Test
  void when_memberJoinsStableGroup_then_othersAreToldToRejoinAndNextGenerationHasAll() {
    List<String> members = stableGroup(2);
    String newcomer = joinNew();
    assertEquals(GroupState.PREPARING_REBALANCE, group.state());
    for (String member : members) {
      assertEquals(Errors.REBALANCE_IN_PROGRESS,
          run(machine.heartbeat(group, new HeartbeatRequest(member, null, 1), now)).reply());
    }
    run(machine.join(group, consumer(members.get(0), null), now));
    assertFalse(joins.containsKey(newcomer), "one member has not rejoined yet");
    run(machine.join(group, consumer(members.get(1), null), now));
    assertEquals(2, joins.get(newcomer).generationId(), "no initial delay for a group that was not empty");
    assertEquals(3, joins.get(group.leaderId()).members().size());
  }

  @Test
  void when_memberLeaves_then_remainingMembersRebalanceWithoutIt() {
    List<String> members = stableGroup(3);
    LeaveResult left = run(machine.leave(group,
        new LeaveRequest(List.of(new LeaveRequest.Leaving(members.get(2), null))), now)).reply();
    assertEquals(Errors.NONE, left.members().get(0).error());
    assertEquals(GroupState.PREPARING_REBALANCE, group.state());
    run(machine.join(group, consumer(members.get(0), null), now));
    run(machine.join(group, consumer(members.get(1), null), now));
    assertEquals(2, joins.get(members.get(0)).generationId());
    assertEquals(2, group.members().size());
    assertEquals(Errors.UNKNOWN_MEMBER_ID,
        run(machine.heartbeat(group, new HeartbeatRequest(members.get(2), null, 2), now)).reply());
  }

  @Test
  void when_memberStopsHeartbeating_then_removedAfterSessionTimeoutAndOthersRebalance() {
    List<String> members = stableGroup(2);
    long start = now;
    String alive = members.get(0);
    for (long t = start + 2_000; t < start + SESSION + 2_000; t += 2_000) {
      now = t;
      assertEquals(Errors.NONE, run(machine.heartbeat(group, new HeartbeatRequest(alive, null, 1), now)).reply());
      tickAt(t);
      if (t < start + SESSION) {
        assertEquals(GroupState.STABLE, group.state(), "still within the session timeout at " + (t - start));
      }
    }
    assertEquals(GroupState.PREPARING_REBALANCE, group.state());
    assertFalse(group.members().containsKey(members.get(1)), "the silent member is out");
    run(machine.join(group, consumer(alive, null), now));
    assertEquals(2, joins.get(alive).generationId());
    assertEquals(1, joins.get(alive).members().size());
  }

  @Test
  void when_memberDoesNotRejoinWithinRebalanceTimeout_then_rebalanceCompletesWithoutIt() {
    List<String> members = stableGroup(2);
    joinNew();
    run(machine.join(group, consumer(members.get(0), null), now));
    long start = now;
    for (long t = start; t <= start + REBALANCE; t += 5_000) {
      // members[1] keeps heartbeating but never rejoins: its heartbeats say to rejoin.
      now = t;
      assertEquals(Errors.REBALANCE_IN_PROGRESS,
          run(machine.heartbeat(group, new HeartbeatRequest(members.get(1), null, 1), now)).reply());
      tickAt(t);
    }
    assertEquals(GroupState.COMPLETING_REBALANCE, group.state());
    assertEquals(2, group.members().size());
    assertFalse(group.members().containsKey(members.get(1)));
  }

  @Test
  void when_leaderNeverSyncs_then_membersThatDidNotSyncAreRemovedAfterRebalanceTimeout() {
    String a = joinNew();
    String b = joinNew();
    tickAt(now + DELAY);
    String follower = a.equals(group.leaderId()) ? b : a;
    run(machine.sync(group, new SyncRequest(follower, null, 1, null, null, Map.of()), now));
    tickAt(now + REBALANCE);
    assertEquals(Errors.REBALANCE_IN_PROGRESS, syncs.get(follower).error(), "the waiting follower is told to rejoin");
    assertEquals(Set.of(follower), group.members().keySet(), "the leader that never synced is out");
  }

  @Test
  void when_staticMemberRestartsWithinSessionTimeout_then_itGetsItsAssignmentWithoutRebalance() {
    JoinResult first = run(machine.join(group, consumer("", "instance-a"), now)).reply();
    assertNull(first, "a static member needs no MEMBER_ID_REQUIRED round");
    String oldId = group.members().keySet().iterator().next();
    String other = joinNew();
    tickAt(now + DELAY);
    run(machine.sync(group, new SyncRequest(other, null, 1, null, null, Map.of()), now));
    run(machine.sync(group, new SyncRequest(oldId, "instance-a", 1, null, null,
        Map.of(oldId, bytes("mine"), other, bytes("theirs"))), now));
    assertEquals(GroupState.STABLE, group.state());

    now += SESSION / 2;
    JoinResult rejoined = run(machine.join(group, consumer("", "instance-a"), now)).reply();
    assertEquals(Errors.NONE, rejoined.error());
    assertEquals(1, rejoined.generationId(), "same generation: nobody rebalanced");
    assertNotEquals(oldId, rejoined.memberId());
    assertTrue(rejoined.skipAssignment(), "the static leader must not assign again (KIP-814)");
    assertEquals(GroupState.STABLE, group.state());
    SyncResult synced = run(machine.sync(group,
        new SyncRequest(rejoined.memberId(), "instance-a", 1, null, null, Map.of()), now)).reply();
    assertArrayEquals(bytes("mine"), synced.assignment());
    assertEquals(Errors.NONE, run(machine.heartbeat(group, new HeartbeatRequest(other, null, 1), now)).reply());
    assertEquals(Errors.FENCED_INSTANCE_ID,
        run(machine.heartbeat(group, new HeartbeatRequest(oldId, "instance-a", 1), now)).reply());
    assertEquals(Set.of(rejoined.memberId(), other),
        stored.members().stream().map(StoredMember::memberId).collect(java.util.stream.Collectors.toSet()),
        "the new member id is persisted in place of the old one");
  }

  @Test
  void when_staticMemberStaysAwayLongerThanSessionTimeout_then_itIsRemovedAndOthersRebalance() {
    run(machine.join(group, consumer("", "instance-a"), now));
    String staticId = group.members().keySet().iterator().next();
    String other = joinNew();
    tickAt(now + DELAY);
    run(machine.sync(group, new SyncRequest(staticId, null, 1, null, null, Map.of()), now));
    run(machine.sync(group, new SyncRequest(other, null, 1, null, null, Map.of()), now));
    for (long t = now; t <= now + SESSION; t += 3_000) {
      run(machine.heartbeat(group, new HeartbeatRequest(other, null, 1), t));
    }
    tickAt(now + SESSION);
    assertFalse(group.members().containsKey(staticId));
    assertEquals(GroupState.PREPARING_REBALANCE, group.state());
  }

  @Test
  void when_membersCommit_then_offsetsAreValidatedAgainstMemberAndGeneration() {
    List<String> members = stableGroup(1);
    String member = members.get(0);
    TopicPartition p0 = new TopicPartition("t", 0);
    TopicPartition p1 = new TopicPartition("t", 1);
    PartitionErrors ok = run(machine.commit(group, new OffsetCommitRequest(member, null, 1, Map.of(
        p0, new OffsetCommitRequest.Offset(42, 3, "m"),
        p1, new OffsetCommitRequest.Offset(7, -1, "x".repeat(17)))), now)).reply();
    assertEquals(Errors.NONE, ok.partitions().get(p0));
    assertEquals(Errors.OFFSET_METADATA_TOO_LARGE, ok.partitions().get(p1), "metadata is limited to 16 bytes here");
    assertEquals(new CommittedOffset(42, 3, "m", now), group.offsets().get(p0));
    assertFalse(group.offsets().containsKey(p1));
    assertEquals(Errors.ILLEGAL_GENERATION, run(machine.commit(group, new OffsetCommitRequest(member, null, 0,
        Map.of(p0, new OffsetCommitRequest.Offset(50, -1, ""))), now)).reply().partitions().get(p0));
    assertEquals(Errors.UNKNOWN_MEMBER_ID, run(machine.commit(group, new OffsetCommitRequest("stranger", null, 1,
        Map.of(p0, new OffsetCommitRequest.Offset(50, -1, ""))), now)).reply().partitions().get(p0));
    assertEquals(Errors.UNKNOWN_MEMBER_ID, run(machine.commit(group, new OffsetCommitRequest("", null, -1,
        Map.of(p0, new OffsetCommitRequest.Offset(50, -1, ""))), now)).reply().partitions().get(p0),
        "a commit from outside the group is refused while it has members");
    assertEquals(42, machine.fetchOffsets(group, List.of(p0, p1)).offsets().get(p0).offset());
    assertEquals(1, machine.fetchOffsets(group, null).offsets().size());
    assertEquals(List.of(new OffsetsCommitted(Map.of(p0, new CommittedOffset(42, 3, "m", now)))),
        events.stream().filter(e -> e instanceof OffsetsCommitted).toList(), "refused commits persist nothing");
  }

  @Test
  void when_groupIsCompletingRebalance_then_commitsAreRefusedWithRebalanceInProgress() {
    String member = joinNew();
    tickAt(now + DELAY);
    TopicPartition p0 = new TopicPartition("t", 0);
    assertEquals(Errors.REBALANCE_IN_PROGRESS, run(machine.commit(group, new OffsetCommitRequest(member, null, 1,
        Map.of(p0, new OffsetCommitRequest.Offset(1, -1, ""))), now)).reply().partitions().get(p0));
  }

  @Test
  void when_groupIsEmpty_then_simpleCommitIsAcceptedAndOffsetsExpireAfterRetention() {
    TopicPartition p0 = new TopicPartition("t", 0);
    run(machine.commit(group, new OffsetCommitRequest("", null, -1,
        Map.of(p0, new OffsetCommitRequest.Offset(9, -1, ""))), now));
    assertTrue(group.exists());
    assertEquals(GroupState.EMPTY, group.reportedState());
    long committed = now;
    tickAt(committed + RETENTION - 1);
    assertTrue(group.offsets().containsKey(p0));
    tickAt(committed + RETENTION);
    assertTrue(group.offsets().isEmpty());
    assertEquals(GroupState.DEAD, group.reportedState(), "an empty group without offsets is gone");
    assertEquals(new OffsetsExpired(List.of(p0)), events.get(events.size() - 1));
  }

  @Test
  void when_lastMemberLeaves_then_groupIsEmptyAndOffsetsExpireFromThen() {
    List<String> members = stableGroup(1);
    TopicPartition p0 = new TopicPartition("t", 0);
    run(machine.commit(group, new OffsetCommitRequest(members.get(0), null, 1,
        Map.of(p0, new OffsetCommitRequest.Offset(5, -1, ""))), now));
    now += 1_000;
    run(machine.leave(group, new LeaveRequest(List.of(new LeaveRequest.Leaving(members.get(0), null))), now));
    assertEquals(GroupState.EMPTY, group.state());
    assertEquals(2, group.generationId(), "becoming empty is a generation, persisted");
    long emptied = now;
    tickAt(emptied + RETENTION - 1);
    assertEquals(1, group.offsets().size(), "retention counts from when the group became empty");
    tickAt(emptied + RETENTION);
    assertTrue(group.offsets().isEmpty());
  }

  @Test
  void when_groupHasMembers_then_deleteAndResetAreRefused() {
    List<String> members = stableGroup(1);
    TopicPartition p0 = new TopicPartition("t", 0);
    assertEquals(Errors.NON_EMPTY_GROUP, run(machine.delete(group, now)).reply());
    assertEquals(Errors.NON_EMPTY_GROUP,
        run(machine.resetOffsets(group, Map.of(p0, 0L), now)).reply().partitions().get(p0));
    run(machine.leave(group, new LeaveRequest(List.of(new LeaveRequest.Leaving(members.get(0), null))), now));
    assertEquals(Errors.NONE, run(machine.resetOffsets(group, Map.of(p0, 3L), now)).reply().partitions().get(p0));
    assertEquals(3, group.offsets().get(p0).offset());
    assertEquals(Errors.NONE, run(machine.delete(group, now)).reply());
    assertEquals(GroupState.DEAD, group.reportedState());
    assertEquals(StoredGroup.EMPTY, stored, "deletion forgets the generation and the offsets");
    assertEquals(Errors.GROUP_ID_NOT_FOUND, run(machine.delete(group, now)).reply());
  }

  @Test
  void when_offsetsOfSubscribedTopicAreDeleted_then_refusedButOthersAreDeleted() {
    List<String> members = stableGroup(1);
    TopicPartition subscribed = new TopicPartition("t", 0);
    TopicPartition other = new TopicPartition("u", 0);
    run(machine.commit(group, new OffsetCommitRequest(members.get(0), null, 1, Map.of(
        subscribed, new OffsetCommitRequest.Offset(1, -1, ""), other, new OffsetCommitRequest.Offset(2, -1, ""))),
        now));
    PartitionErrors result = run(machine.deleteOffsets(group, List.of(subscribed, other), now)).reply();
    assertEquals(Errors.GROUP_SUBSCRIBED_TO_TOPIC, result.partitions().get(subscribed));
    assertEquals(Errors.NONE, result.partitions().get(other));
    assertEquals(Set.of(subscribed), group.offsets().keySet());
  }

  @Test
  void when_requestIsInvalid_then_clearErrorAndNothingChanges() {
    List<String> members = stableGroup(1);
    Group before = group;
    JoinRequest badSession = new JoinRequest("", null, "c", "h", 100, REBALANCE, "consumer",
        List.of(new Protocol("range", new byte[0])), true);
    assertEquals(Errors.INVALID_SESSION_TIMEOUT, run(machine.join(group, badSession, now)).reply().error());
    assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL,
        run(machine.join(group, request("", null, "connect", List.of(new Protocol("range", new byte[0]))), now))
            .reply().error(), "another protocol type while the group has members");
    assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL,
        run(machine.join(group, request("", null, "consumer", List.of(new Protocol("other", new byte[0]))), now))
            .reply().error(), "no protocol in common with the members");
    assertEquals(Errors.UNKNOWN_MEMBER_ID, run(machine.join(group, consumer("ghost", null), now)).reply().error());
    assertEquals(Errors.ILLEGAL_GENERATION,
        run(machine.heartbeat(group, new HeartbeatRequest(members.get(0), null, 7), now)).reply());
    assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL, run(machine.sync(group,
        new SyncRequest(members.get(0), null, 1, "consumer", "roundrobin", Map.of()), now)).reply().error());
    assertEquals(before, group);
  }

  @Test
  void when_groupIsRecoveredFromItsEvents_then_membersContinueWithoutRebalance() {
    List<String> members = stableGroup(2);
    TopicPartition p0 = new TopicPartition("t", 0);
    run(machine.commit(group, new OffsetCommitRequest(members.get(0), null, 1,
        Map.of(p0, new OffsetCommitRequest.Offset(11, -1, "meta"))), now));
    StoredGroup replayed = StoredGroup.EMPTY;
    for (GroupEvent event : events) {
      replayed = replayed.apply(event);
    }
    now += 60_000;
    Group recovered = Group.recovered("g", replayed, now);
    assertEquals(GroupState.STABLE, recovered.state());
    assertEquals(group.generationId(), recovered.generationId());
    assertEquals(group.leaderId(), recovered.leaderId());
    assertEquals(group.offsets(), recovered.offsets());
    group = recovered;
    for (String member : members) {
      assertEquals(Errors.NONE, run(machine.heartbeat(group, new HeartbeatRequest(member, null, 1), now)).reply(),
          "sessions restart at recovery, so no member is expired by the downtime");
      assertArrayEquals(bytes("a-" + member), run(machine.sync(group,
          new SyncRequest(member, null, 1, "consumer", "range", Map.of()), now)).reply().assignment());
    }
  }

  // Native groups: the coordinator assigns.

  private static JoinRequest nativeMember(String memberId, String strategy, List<TopicPartition> owned, int gen) {
    return request(memberId, null, GroupMachine.NATIVE_PROTOCOL_TYPE,
        List.of(new Protocol(strategy, subscription(List.of("t"), owned, gen))));
  }

  private static Set<TopicPartition> assigned(JoinResult result) {
    return new HashSet<>(ServerAssignor.assignment(result.assignment()).partitions());
  }

  @Test
  void when_nativeMembersJoinWithRange_then_coordinatorSplitsPartitionsWithoutSyncGroup() {
    String a = run(machine.join(group, nativeMember("", "range", List.of(), -1), now)).reply().memberId();
    String b = run(machine.join(group, nativeMember("", "range", List.of(), -1), now)).reply().memberId();
    run(machine.join(group, nativeMember(a, "range", List.of(), -1), now));
    run(machine.join(group, nativeMember(b, "range", List.of(), -1), now));
    tickAt(now + DELAY);
    assertEquals(GroupState.STABLE, group.state(), "no SyncGroup round for native members");
    Set<TopicPartition> all = new HashSet<>(assigned(joins.get(a)));
    assertEquals(3, all.size());
    assertEquals(3, assigned(joins.get(b)).size());
    all.addAll(assigned(joins.get(b)));
    assertEquals(6, all.size(), "every partition has exactly one owner");
  }

  @Test
  void when_nativeCooperativeMemberJoins_then_partitionsMoveOnlyAfterTheOldOwnerRejoinedWithoutThem() {
    String a = run(machine.join(group, nativeMember("", "cooperative-sticky", List.of(), -1), now)).reply().memberId();
    run(machine.join(group, nativeMember(a, "cooperative-sticky", List.of(), -1), now));
    tickAt(now + DELAY);
    Set<TopicPartition> ownedByA = assigned(joins.get(a));
    assertEquals(6, ownedByA.size());

    String b = run(machine.join(group, nativeMember("", "cooperative-sticky", List.of(), -1), now)).reply().memberId();
    run(machine.join(group, nativeMember(b, "cooperative-sticky", List.of(), -1), now));
    run(machine.join(group, nativeMember(a, "cooperative-sticky", List.copyOf(ownedByA), 1), now));
    assertEquals(2, joins.get(b).generationId());
    assertTrue(assigned(joins.get(b)).isEmpty(), "nothing A still owns is given to B yet");
    Set<TopicPartition> keptByA = assigned(joins.get(a));
    assertEquals(3, keptByA.size(), "A keeps half and is asked to revoke the rest");
    assertTrue(ownedByA.containsAll(keptByA), "A's kept partitions were not moved");
    assertEquals(GroupState.PREPARING_REBALANCE, group.state(), "a follow-up rebalance hands out the revoked ones");

    run(machine.join(group, nativeMember(a, "cooperative-sticky", List.copyOf(keptByA), 2), now));
    run(machine.join(group, nativeMember(b, "cooperative-sticky", List.of(), 2), now));
    assertEquals(3, joins.get(b).generationId());
    Set<TopicPartition> gotByB = assigned(joins.get(b));
    assertEquals(3, gotByB.size());
    assertTrue(gotByB.stream().noneMatch(keptByA::contains));
    assertEquals(keptByA, assigned(joins.get(a)), "A's partitions did not move in the second round either");
    assertEquals(GroupState.STABLE, group.state());
  }

  @Test
  void when_aSubscribedTopicIsCreatedOrGrowsAfterTheAssignment_then_theLeadersHeartbeatStartsARebalanceThatAssignsIt() {
    JoinRequest later = request("", null, GroupMachine.NATIVE_PROTOCOL_TYPE,
        List.of(new Protocol("range", subscription(List.of("later"), List.of(), -1))));
    String a = run(machine.join(group, later, now)).reply().memberId();
    JoinRequest rejoin = request(a, null, GroupMachine.NATIVE_PROTOCOL_TYPE,
        List.of(new Protocol("range", subscription(List.of("later"), List.of(), -1))));
    run(machine.join(group, rejoin, now));
    tickAt(now + DELAY);
    assertEquals(GroupState.STABLE, group.state());
    assertTrue(assigned(joins.get(a)).isEmpty(), "the topic does not exist yet");
    assertEquals(Errors.NONE, run(machine.heartbeat(group, new HeartbeatRequest(a, null, 1), now)).reply(),
        "nothing changed: no rebalance");

    partitionCounts.put("later", 2);
    assertEquals(Errors.REBALANCE_IN_PROGRESS,
        run(machine.heartbeat(group, new HeartbeatRequest(a, null, 1), now)).reply());
    run(machine.join(group, rejoin, now));
    assertEquals(GroupState.STABLE, group.state());
    assertEquals(Set.of(new TopicPartition("later", 0), new TopicPartition("later", 1)), assigned(joins.get(a)));
    assertEquals(Errors.NONE, run(machine.heartbeat(group, new HeartbeatRequest(a, null, 2), now)).reply());

    partitionCounts.put("later", 3);
    assertEquals(Errors.REBALANCE_IN_PROGRESS,
        run(machine.heartbeat(group, new HeartbeatRequest(a, null, 2), now)).reply(), "the topic grew");
  }

  private static TxnOffsetCommitRequest txnCommit(long producerId, int epoch, TopicPartition partition, long offset) {
    return new TxnOffsetCommitRequest(producerId, (short) epoch, "", null, -1,
        Map.of(partition, new OffsetCommitRequest.Offset(offset, -1, "")));
  }

  @Test
  void when_zombieStagesAfterItsSuccessorsAbortSettled_then_itsOffsetsAreFencedAndNeverCommitted() {
    TopicPartition p0 = new TopicPartition("t", 0);
    run(machine.txnCommit(group, txnCommit(7, 3, p0, 10), now));
    // The successor's InitProducerId aborts the zombie's transaction at the bumped epoch 4.
    run(machine.settleTxn(group, 7, (short) 4, false, now));
    assertTrue(group.pending().of(7).isEmpty(), "the aborted offsets are dropped");
    // The zombie's second TxnOffsetCommit passed its coordinator's epoch check just before the successor took over.
    Outcome<PartitionErrors> late = run(machine.txnCommit(group, txnCommit(7, 3, p0, 99), now));
    assertEquals(Errors.PRODUCER_FENCED, late.reply().partitions().get(p0));
    assertTrue(group.pending().of(7).isEmpty(), "nothing of the zombie's is staged");
    run(machine.txnCommit(group, txnCommit(7, 4, p0, 20), now));
    run(machine.settleTxn(group, 7, (short) 4, true, now));
    assertEquals(20, group.offsets().get(p0).offset(), "the successor's offset, never the zombie's");
    assertEquals(stored.pending(), group.pending(), "replayed events give the same pending offsets and epochs");
    assertTrue(stored.pending().fences(7, (short) 3), "the epoch survives recovery");
  }

  @Test
  void when_settledWithoutStagedOffsets_then_theNewEpochIsStoredOnce() {
    int before = events.size();
    run(machine.settleTxn(group, 7, (short) 4, false, now));
    run(machine.settleTxn(group, 7, (short) 4, true, now));
    assertEquals(1, events.size() - before, "the second settlement at a known epoch stores nothing");
  }
}
