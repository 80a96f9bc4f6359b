package dev.runnel.broker.group;

import dev.runnel.broker.group.GroupDescription.MemberDescription;
import dev.runnel.broker.group.GroupEvent.GenerationStored;
import dev.runnel.broker.group.GroupEvent.GroupDeleted;
import dev.runnel.broker.group.GroupEvent.OffsetsCommitted;
import dev.runnel.broker.group.GroupEvent.OffsetsDeleted;
import dev.runnel.broker.group.GroupEvent.OffsetsExpired;
import dev.runnel.broker.group.GroupEvent.TxnOffsetsSettled;
import dev.runnel.broker.group.GroupEvent.TxnOffsetsStaged;
import dev.runnel.broker.group.JoinResult.JoinedMember;
import dev.runnel.broker.group.Outcome.JoinDelivery;
import dev.runnel.broker.group.Outcome.SyncDelivery;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * The decisions of a classic group coordinator, as pure functions from (group, request, now) to an
 * {@link Outcome}: Kafka's JoinGroup / SyncGroup / Heartbeat / LeaveGroup rebalance protocol with generations,
 * static membership (KIP-345), member ids handed out before joining (KIP-394), session and rebalance timeouts,
 * and committed offsets with retention. {@link GroupCoordinator} is the actor around it; nothing here does I/O or
 * reads a clock, so every rule is tested by calling these methods with chosen times.
 *
 * <p>Groups of protocol type {@link #NATIVE_PROTOCOL_TYPE} are assigned by the coordinator itself
 * ({@link ServerAssignor}): their JoinGroup answer carries the member's assignment and no SyncGroup is needed.
 *
 * <p>Thread-safe if the id supplier and partition counts are.
 */
public final class GroupMachine {

  /** The protocol type of Kafka consumers (client-side assignment). */
  public static final String CONSUMER_PROTOCOL_TYPE = "consumer";

  /** The protocol type of Runnel's native members, which the coordinator assigns itself. */
  public static final String NATIVE_PROTOCOL_TYPE = "runnel";

  private final GroupSettings settings;
  private final Supplier<String> uniqueIds;
  private final ToIntFunction<String> partitionCounts;

  /**
   * @param uniqueIds unique suffixes of new member ids (a UUID in production)
   * @param partitionCounts a topic's partition count, 0 when unknown; used to assign native groups
   */
  public GroupMachine(GroupSettings settings, Supplier<String> uniqueIds, ToIntFunction<String> partitionCounts) {
    this.settings = settings;
    this.uniqueIds = uniqueIds;
    this.partitionCounts = partitionCounts;
  }

  /** One transition in progress: the working copy of the group and what it has decided so far. */
  private static final class Step<R> {
    final Group.Draft group;
    final long now;
    final List<GroupEvent> events = new ArrayList<>();
    final List<JoinDelivery> joins = new ArrayList<>();
    final List<SyncDelivery> syncs = new ArrayList<>();

    Step(Group group, long now) {
      this.group = group.draft();
      this.now = now;
    }

    Outcome<R> reply(R reply) {
      return new Outcome<>(group.build(), events, reply, null, joins, syncs);
    }

    Outcome<R> park(String memberId) {
      return new Outcome<>(group.build(), events, null, memberId, joins, syncs);
    }
  }

  // JoinGroup

  public Outcome<JoinResult> join(Group group, JoinRequest request, long now) {
    Step<JoinResult> step = new Step<>(group, now);
    Group.Draft g = step.group;
    String memberId = request.memberId();
    if (request.sessionTimeoutMs() < settings.minSessionTimeout().toMillis()
        || request.sessionTimeoutMs() > settings.maxSessionTimeout().toMillis()) {
      return step.reply(JoinResult.error(Errors.INVALID_SESSION_TIMEOUT, memberId));
    }
    if (!supportsProtocols(g, request)) {
      return step.reply(JoinResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL, memberId));
    }
    if (memberId.isEmpty()) {
      if (request.groupInstanceId() != null) {
        String newId = request.groupInstanceId() + "-" + uniqueIds.get();
        Optional<Member> existing = staticMember(g, request.groupInstanceId());
        if (existing.isPresent()) {
          return replaceStaticMember(step, existing.get(), newId, request);
        }
        return addMemberAndRebalance(step, newId, request);
      }
      String newId = (request.clientId().isEmpty() ? "member" : request.clientId()) + "-" + uniqueIds.get();
      if (request.requireKnownMemberId()) {
        // KIP-394: the member learns its id first, so a join it repeats after a timeout is recognised.
        g.pendingMembers.put(newId, now + request.sessionTimeoutMs());
        return step.reply(JoinResult.error(Errors.MEMBER_ID_REQUIRED, newId));
      }
      return addMemberAndRebalance(step, newId, request);
    }
    if (request.groupInstanceId() != null) {
      Optional<Member> existing = staticMember(g, request.groupInstanceId());
      if (existing.isPresent() && !existing.get().memberId().equals(memberId)) {
        return step.reply(JoinResult.error(Errors.FENCED_INSTANCE_ID, memberId));
      }
    }
    if (g.pendingMembers.remove(memberId) != null) {
      return addMemberAndRebalance(step, memberId, request);
    }
    Member member = g.members.get(memberId);
    if (member == null) {
      return step.reply(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, memberId));
    }
    switch (g.state) {
      case PREPARING_REBALANCE:
        return updateMemberAndRebalance(step, member, request);
      case COMPLETING_REBALANCE:
        if (member.protocols().equals(request.protocols())) {
          // The member missed the JoinGroup answer of this generation: give it again.
          return step.reply(joinResult(g, memberId, memberId.equals(g.leaderId)));
        }
        return updateMemberAndRebalance(step, member, request);
      case STABLE:
        if (memberId.equals(g.leaderId) || !member.protocols().equals(request.protocols())) {
          // The leader rejoins to rebalance (e.g. its metadata changed); a follower with new metadata too.
          return updateMemberAndRebalance(step, member, request);
        }
        g.members.put(memberId, member.heartbeat(now));
        return step.reply(joinResult(g, memberId, false));
      default:
        return step.reply(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, memberId));
    }
  }

  private boolean supportsProtocols(Group.Draft g, JoinRequest request) {
    if (request.protocolType().isEmpty() || request.protocols().isEmpty()) {
      return false;
    }
    if (request.protocolType().equals(NATIVE_PROTOCOL_TYPE)
        && !request.protocols().stream().allMatch(p -> ServerAssignor.known(p.name()))) {
      return false;
    }
    List<Member> others = g.members.values().stream()
        .filter(m -> !m.memberId().equals(request.memberId()))
        .toList();
    if (others.isEmpty()) {
      return true;
    }
    if (!request.protocolType().equals(g.protocolType)) {
      return false;
    }
    return request.protocols().stream()
        .anyMatch(p -> others.stream().allMatch(m -> m.protocol(p.name()).isPresent()));
  }

  private Outcome<JoinResult> addMemberAndRebalance(Step<JoinResult> step, String memberId, JoinRequest request) {
    Group.Draft g = step.group;
    if (g.members.isEmpty()) {
      g.protocolType = request.protocolType();
    }
    g.members.put(memberId, new Member(memberId, request.groupInstanceId(), request.clientId(),
        request.clientHost(), request.rebalanceTimeoutMs(), request.sessionTimeoutMs(), request.protocols(), null,
        step.now, true, false));
    if (g.leaderId == null || !g.members.containsKey(g.leaderId)) {
      g.leaderId = memberId;
    }
    if (g.state != GroupState.PREPARING_REBALANCE) {
      prepareRebalance(step);
    }
    maybeCompleteJoin(step);
    return step.park(memberId);
  }

  private Outcome<JoinResult> updateMemberAndRebalance(Step<JoinResult> step, Member member, JoinRequest request) {
    Group.Draft g = step.group;
    g.members.put(member.memberId(), member.rejoined(request, step.now));
    if (g.state != GroupState.PREPARING_REBALANCE) {
      prepareRebalance(step);
    }
    maybeCompleteJoin(step);
    return step.park(member.memberId());
  }

  /**
   * KIP-345: a static member that restarts joins with its instance id and no member id. It takes over the old
   * member's place under a new id (fencing the old one), and when the group is stable and the protocol would not
   * change it gets the current generation back: the others are not disturbed.
   */
  private Outcome<JoinResult> replaceStaticMember(
      Step<JoinResult> step, Member old, String newId, JoinRequest request) {
    Group.Draft g = step.group;
    String oldId = old.memberId();
    g.members.remove(oldId);
    if (old.awaitingJoin()) {
      step.joins.add(new JoinDelivery(oldId, JoinResult.error(Errors.FENCED_INSTANCE_ID, oldId)));
    }
    if (old.awaitingSync()) {
      step.syncs.add(new SyncDelivery(oldId, SyncResult.error(Errors.FENCED_INSTANCE_ID)));
    }
    Member replaced = old.withMemberId(newId).rejoined(request, step.now).awaitingJoin(false).awaitingSync(false);
    g.members.put(newId, replaced);
    if (oldId.equals(g.leaderId)) {
      g.leaderId = newId;
    }
    if (g.state == GroupState.STABLE && selectProtocol(g.members.values()).equals(g.protocolName)) {
      storeGeneration(step);
      boolean leader = newId.equals(g.leaderId);
      JoinResult current = joinResult(g, newId, leader);
      // KIP-814: a static leader that rejoins learns the members but must not assign again.
      return step.reply(new JoinResult(current.error(), current.generationId(), current.protocolType(),
          current.protocolName(), current.leaderId(), leader, newId, current.members(), current.assignment()));
    }
    g.members.put(newId, replaced.awaitingJoin(true));
    if (g.state != GroupState.PREPARING_REBALANCE) {
      prepareRebalance(step);
    }
    maybeCompleteJoin(step);
    return step.park(newId);
  }

  private void prepareRebalance(Step<?> step) {
    Group.Draft g = step.group;
    if (g.state == GroupState.COMPLETING_REBALANCE) {
      resetAwaitingSync(step, Errors.REBALANCE_IN_PROGRESS);
    }
    long rebalanceTimeout = maxRebalanceTimeout(g);
    g.joinNotBefore = g.state == GroupState.EMPTY
        ? step.now + Math.min(settings.initialRebalanceDelay().toMillis(), rebalanceTimeout)
        : step.now;
    g.deadline = step.now + rebalanceTimeout;
    g.state = GroupState.PREPARING_REBALANCE;
  }

  private static long maxRebalanceTimeout(Group.Draft g) {
    return g.members.values().stream().mapToLong(Member::rebalanceTimeoutMs).max().orElse(0);
  }

  private void resetAwaitingSync(Step<?> step, Errors error) {
    Group.Draft g = step.group;
    for (Member member : List.copyOf(g.members.values())) {
      if (member.awaitingSync()) {
        step.syncs.add(new SyncDelivery(member.memberId(), SyncResult.error(error)));
        g.members.put(member.memberId(), member.awaitingSync(false));
      }
    }
  }

  private void maybeCompleteJoin(Step<?> step) {
    Group.Draft g = step.group;
    if (g.state != GroupState.PREPARING_REBALANCE) {
      return;
    }
    boolean allJoined = g.pendingMembers.isEmpty() && g.members.values().stream().allMatch(Member::awaitingJoin);
    if ((allJoined && step.now >= g.joinNotBefore) || step.now >= g.deadline) {
      completeJoin(step);
    }
  }

  private void completeJoin(Step<?> step) {
    Group.Draft g = step.group;
    long now = step.now;
    // Members that did not rejoin within the rebalance timeout are out (Kafka's rule, static members included).
    for (Member member : List.copyOf(g.members.values())) {
      if (!member.awaitingJoin()) {
        removeMember(step, member.memberId());
      }
    }
    g.generationId++;
    if (g.members.isEmpty()) {
      g.state = GroupState.EMPTY;
      g.protocolName = null;
      g.leaderId = null;
      storeGeneration(step);
      return;
    }
    g.protocolName = selectProtocol(g.members.values());
    if (g.leaderId == null) {
      g.leaderId = g.members.keySet().iterator().next();
    }
    for (Member member : List.copyOf(g.members.values())) {
      g.members.put(member.memberId(), member.awaitingJoin(false).heartbeat(now));
    }
    g.state = GroupState.COMPLETING_REBALANCE;
    g.deadline = now + maxRebalanceTimeout(g);
    if (NATIVE_PROTOCOL_TYPE.equals(g.protocolType)) {
      assignNatively(step);
      return;
    }
    for (String memberId : g.members.keySet()) {
      step.joins.add(new JoinDelivery(memberId, joinResult(g, memberId, memberId.equals(g.leaderId))));
    }
  }

  private void assignNatively(Step<?> step) {
    Group.Draft g = step.group;
    Map<String, byte[]> subscriptions = new LinkedHashMap<>();
    g.members.forEach((id, member) -> subscriptions.put(id, member.metadata(g.protocolName)));
    Map<String, byte[]> assignments = ServerAssignor.assign(g.protocolName, subscriptions, partitionCounts);
    for (Member member : List.copyOf(g.members.values())) {
      g.members.put(member.memberId(), member.withAssignment(assignments.get(member.memberId())));
    }
    g.state = GroupState.STABLE;
    storeGeneration(step);
    for (String memberId : g.members.keySet()) {
      step.joins.add(new JoinDelivery(memberId, joinResult(g, memberId, false)));
    }
    if (ServerAssignor.revokes(subscriptions, assignments)) {
      // KIP-429: the partitions withheld above go to their new owners in the next generation, once their old
      // owners have rejoined without them, which confirms they stopped using them.
      prepareRebalance(step);
    }
  }

  private static JoinResult joinResult(Group.Draft g, String memberId, boolean withMembers) {
    List<JoinedMember> members = new ArrayList<>();
    if (withMembers) {
      for (Member member : g.members.values()) {
        members.add(new JoinedMember(member.memberId(), member.groupInstanceId(), member.metadata(g.protocolName)));
      }
    }
    byte[] assignment = NATIVE_PROTOCOL_TYPE.equals(g.protocolType) ? g.members.get(memberId).assignment() : null;
    return new JoinResult(Errors.NONE, g.generationId, g.protocolType, g.protocolName, g.leaderId, false, memberId,
        members, assignment);
  }

  /**
   * The protocol every member supports that most members prefer (each member votes for the first of its
   * protocols that all support); ties go to the first member's preference.
   */
  static String selectProtocol(Collection<Member> members) {
    List<String> candidates = new ArrayList<>();
    Member first = members.iterator().next();
    for (Protocol protocol : first.protocols()) {
      if (members.stream().allMatch(m -> m.protocol(protocol.name()).isPresent())) {
        candidates.add(protocol.name());
      }
    }
    Map<String, Integer> votes = new HashMap<>();
    for (Member member : members) {
      member.protocols().stream()
          .map(Protocol::name)
          .filter(candidates::contains)
          .findFirst()
          .ifPresent(name -> votes.merge(name, 1, Integer::sum));
    }
    String chosen = candidates.get(0);
    for (String candidate : candidates) {
      if (votes.getOrDefault(candidate, 0) > votes.getOrDefault(chosen, 0)) {
        chosen = candidate;
      }
    }
    return chosen;
  }

  // SyncGroup

  public Outcome<SyncResult> sync(Group group, SyncRequest request, long now) {
    Step<SyncResult> step = new Step<>(group, now);
    Group.Draft g = step.group;
    Errors invalid = validateMember(g, request.memberId(), request.groupInstanceId());
    if (invalid != Errors.NONE) {
      return step.reply(SyncResult.error(invalid));
    }
    if (request.generationId() != g.generationId) {
      return step.reply(SyncResult.error(Errors.ILLEGAL_GENERATION));
    }
    if ((request.protocolType() != null && !request.protocolType().equals(g.protocolType))
        || (request.protocolName() != null && !request.protocolName().equals(g.protocolName))) {
      return step.reply(SyncResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL));
    }
    Member member = g.members.get(request.memberId());
    switch (g.state) {
      case PREPARING_REBALANCE:
        return step.reply(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
      case COMPLETING_REBALANCE:
        g.members.put(member.memberId(), member.awaitingSync(true).heartbeat(now));
        if (member.memberId().equals(g.leaderId)) {
          for (Member m : List.copyOf(g.members.values())) {
            g.members.put(m.memberId(), m.withAssignment(request.assignments().get(m.memberId())));
          }
          g.state = GroupState.STABLE;
          storeGeneration(step);
          for (Member m : List.copyOf(g.members.values())) {
            if (m.awaitingSync()) {
              step.syncs.add(new SyncDelivery(m.memberId(), syncResult(g, m)));
              g.members.put(m.memberId(), m.awaitingSync(false));
            }
          }
        }
        return step.park(member.memberId());
      case STABLE:
        g.members.put(member.memberId(), member.heartbeat(now));
        return step.reply(syncResult(g, member));
      default:
        return step.reply(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
    }
  }

  private static SyncResult syncResult(Group.Draft g, Member member) {
    return new SyncResult(Errors.NONE, g.protocolType, g.protocolName, member.assignment());
  }

  // Heartbeat

  public Outcome<Errors> heartbeat(Group group, HeartbeatRequest request, long now) {
    Step<Errors> step = new Step<>(group, now);
    Group.Draft g = step.group;
    Errors invalid = validateMember(g, request.memberId(), request.groupInstanceId());
    if (invalid != Errors.NONE) {
      return step.reply(invalid);
    }
    if (request.generationId() != g.generationId) {
      return step.reply(Errors.ILLEGAL_GENERATION);
    }
    Member member = g.members.get(request.memberId());
    g.members.put(member.memberId(), member.heartbeat(now));
    if (g.state == GroupState.STABLE && member.memberId().equals(g.leaderId) && assignmentOutdated(g)) {
      prepareRebalance(step);
    }
    return step.reply(g.state == GroupState.PREPARING_REBALANCE ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE);
  }

  /**
   * Whether a natively assigned group must be assigned again because its subscribed topics changed: a Kafka
   * consumer rejoins by itself when its metadata shows a new partition, a native member leaves the partitions to
   * the coordinator, which learns of them here (checked on the leader's heartbeats only, so a group's heartbeats
   * cost one check per heartbeat interval, not one per member).
   */
  private boolean assignmentOutdated(Group.Draft g) {
    if (!NATIVE_PROTOCOL_TYPE.equals(g.protocolType)) {
      return false;
    }
    Map<String, byte[]> subscriptions = new LinkedHashMap<>();
    Map<String, byte[]> assignments = new LinkedHashMap<>();
    g.members.forEach((id, member) -> {
      subscriptions.put(id, member.metadata(g.protocolName));
      assignments.put(id, member.assignment());
    });
    return ServerAssignor.outdated(subscriptions, assignments, partitionCounts);
  }

  // LeaveGroup

  public Outcome<LeaveResult> leave(Group group, LeaveRequest request, long now) {
    Step<LeaveResult> step = new Step<>(group, now);
    Group.Draft g = step.group;
    List<LeaveResult.Left> results = new ArrayList<>();
    boolean removed = false;
    for (LeaveRequest.Leaving leaving : request.members()) {
      Errors error = Errors.NONE;
      String memberId = leaving.memberId();
      if (leaving.groupInstanceId() != null) {
        Optional<Member> member = staticMember(g, leaving.groupInstanceId());
        if (member.isEmpty()) {
          error = Errors.UNKNOWN_MEMBER_ID;
        } else if (!memberId.isEmpty() && !memberId.equals(member.get().memberId())) {
          error = Errors.FENCED_INSTANCE_ID;
        } else {
          memberId = member.get().memberId();
        }
      }
      if (error == Errors.NONE) {
        if (g.pendingMembers.remove(memberId) != null) {
          removed = true;
        } else if (g.members.containsKey(memberId)) {
          removeMember(step, memberId);
          removed = true;
        } else {
          error = Errors.UNKNOWN_MEMBER_ID;
        }
      }
      results.add(new LeaveResult.Left(leaving.memberId(), leaving.groupInstanceId(), error));
    }
    if (removed) {
      onMembersRemoved(step);
    }
    return step.reply(new LeaveResult(Errors.NONE, results));
  }

  private static void removeMember(Step<?> step, String memberId) {
    Group.Draft g = step.group;
    Member member = g.members.remove(memberId);
    if (member.awaitingJoin()) {
      step.joins.add(new JoinDelivery(memberId, JoinResult.error(Errors.UNKNOWN_MEMBER_ID, memberId)));
    }
    if (member.awaitingSync()) {
      step.syncs.add(new SyncDelivery(memberId, SyncResult.error(Errors.UNKNOWN_MEMBER_ID)));
    }
    if (memberId.equals(g.leaderId)) {
      g.leaderId = g.members.isEmpty() ? null : g.members.keySet().iterator().next();
    }
  }

  private void onMembersRemoved(Step<?> step) {
    GroupState state = step.group.state;
    if (state == GroupState.STABLE || state == GroupState.COMPLETING_REBALANCE) {
      prepareRebalance(step);
    }
    maybeCompleteJoin(step);
  }

  // Deadlines

  /**
   * Applies what time alone decides: members whose session ran out are removed (and the group rebalances), a
   * join phase ends at its deadline, members that did not send SyncGroup in time are removed, and an empty
   * group's offsets expire after the retention period.
   */
  public Outcome<Void> tick(Group group, long now) {
    Step<Void> step = new Step<>(group, now);
    Group.Draft g = step.group;
    g.pendingMembers.values().removeIf(expiry -> expiry <= now);
    boolean removed = false;
    for (Member member : List.copyOf(g.members.values())) {
      if (member.expired(now)) {
        removeMember(step, member.memberId());
        removed = true;
      }
    }
    if (removed) {
      onMembersRemoved(step);
    }
    if (g.state == GroupState.PREPARING_REBALANCE) {
      maybeCompleteJoin(step);
    }
    if (g.state == GroupState.COMPLETING_REBALANCE && now >= g.deadline) {
      // The leader's assignment did not come in time: members that have not asked for theirs are out.
      for (Member member : List.copyOf(g.members.values())) {
        if (!member.awaitingSync()) {
          removeMember(step, member.memberId());
        }
      }
      prepareRebalance(step);
      maybeCompleteJoin(step);
    }
    if (g.state == GroupState.EMPTY) {
      expireOffsets(step);
    }
    return step.reply(null);
  }

  private void expireOffsets(Step<?> step) {
    Group.Draft g = step.group;
    long retention = settings.offsetsRetention().toMillis();
    List<TopicPartition> expired = new ArrayList<>();
    g.offsets.forEach((partition, offset) -> {
      if (step.now >= Math.max(g.stateTimestamp, offset.commitTimestamp()) + retention) {
        expired.add(partition);
      }
    });
    if (!expired.isEmpty()) {
      expired.forEach(g.offsets::remove);
      step.events.add(new OffsetsExpired(expired));
    }
  }

  // Offsets

  public Outcome<PartitionErrors> commit(Group group, OffsetCommitRequest request, long now) {
    Step<PartitionErrors> step = new Step<>(group, now);
    Group.Draft g = step.group;
    Errors error = validateCommit(g, request);
    if (error != Errors.NONE) {
      return step.reply(allFailed(request.offsets().keySet(), error));
    }
    Map<TopicPartition, Errors> results = new HashMap<>();
    Map<TopicPartition, CommittedOffset> accepted = new HashMap<>();
    request.offsets().forEach((partition, offset) -> {
      String metadata = offset.metadata() == null ? "" : offset.metadata();
      if (metadata.getBytes(StandardCharsets.UTF_8).length > settings.offsetMetadataMaxBytes()) {
        results.put(partition, Errors.OFFSET_METADATA_TOO_LARGE);
      } else {
        results.put(partition, Errors.NONE);
        accepted.put(partition, new CommittedOffset(offset.offset(), offset.leaderEpoch(), metadata, now));
      }
    });
    Member member = g.members.get(request.memberId());
    if (member != null) {
      g.members.put(member.memberId(), member.heartbeat(now));
    }
    if (!accepted.isEmpty()) {
      g.offsets.putAll(accepted);
      step.events.add(new OffsetsCommitted(accepted));
    }
    return step.reply(new PartitionErrors(Errors.NONE, results));
  }

  private static Errors validateCommit(Group.Draft g, OffsetCommitRequest request) {
    if (request.generationId() < 0 && g.state == GroupState.EMPTY) {
      return Errors.NONE;
    }
    if (request.generationId() >= 0 || !request.memberId().isEmpty() || request.groupInstanceId() != null) {
      Errors invalid = validateMember(g, request.memberId(), request.groupInstanceId());
      if (invalid != Errors.NONE) {
        return invalid;
      }
      if (request.generationId() != g.generationId) {
        return Errors.ILLEGAL_GENERATION;
      }
    } else if (g.state != GroupState.EMPTY) {
      return Errors.UNKNOWN_MEMBER_ID;
    }
    // The member holds this generation's JoinGroup answer but not its assignment yet: it must not commit.
    return g.state == GroupState.COMPLETING_REBALANCE ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
  }

  /**
   * The committed offsets of {@code partitions}, or of every partition when null, and which of them an open
   * transaction has an offset for.
   */
  public OffsetFetchResult fetchOffsets(Group group, Collection<TopicPartition> partitions) {
    Set<TopicPartition> unstable = new HashSet<>(group.pending().partitions());
    if (partitions == null) {
      return new OffsetFetchResult(Errors.NONE, group.offsets(), unstable);
    }
    Map<TopicPartition, CommittedOffset> found = new HashMap<>();
    for (TopicPartition partition : partitions) {
      CommittedOffset offset = group.offsets().get(partition);
      if (offset != null) {
        found.put(partition, offset);
      }
    }
    unstable.retainAll(partitions);
    return new OffsetFetchResult(Errors.NONE, found, unstable);
  }

  // Transactional offsets (KIP-98): staged per producer until its transaction ends, see PendingTxnOffsets.

  /**
   * TxnOffsetCommit: stages the offsets for the producer's transaction. Unlike OffsetCommit it is accepted from
   * outside the group's membership (no member id and generation -1), as Kafka accepts it from clients that predate
   * KIP-447.
   */
  public Outcome<PartitionErrors> txnCommit(Group group, TxnOffsetCommitRequest request, long now) {
    Step<PartitionErrors> step = new Step<>(group, now);
    Group.Draft g = step.group;
    if (g.pending.fences(request.producerId(), request.producerEpoch())) {
      // A zombie that passed its coordinator's epoch check just before a successor took over: see PendingTxnOffsets.
      return step.reply(allFailed(request.offsets().keySet(), Errors.PRODUCER_FENCED));
    }
    boolean outsider = request.generationId() < 0 && request.memberId().isEmpty()
        && request.groupInstanceId() == null;
    if (!outsider) {
      Errors invalid = validateMember(g, request.memberId(), request.groupInstanceId());
      if (invalid == Errors.NONE && request.generationId() != g.generationId) {
        invalid = Errors.ILLEGAL_GENERATION;
      }
      if (invalid != Errors.NONE) {
        return step.reply(allFailed(request.offsets().keySet(), invalid));
      }
    }
    Map<TopicPartition, Errors> results = new HashMap<>();
    Map<TopicPartition, CommittedOffset> accepted = new HashMap<>();
    request.offsets().forEach((partition, offset) -> {
      String metadata = offset.metadata() == null ? "" : offset.metadata();
      if (metadata.getBytes(StandardCharsets.UTF_8).length > settings.offsetMetadataMaxBytes()) {
        results.put(partition, Errors.OFFSET_METADATA_TOO_LARGE);
      } else {
        results.put(partition, Errors.NONE);
        accepted.put(partition, new CommittedOffset(offset.offset(), offset.leaderEpoch(), metadata, now));
      }
    });
    if (!accepted.isEmpty()) {
      g.pending = g.pending.staged(request.producerId(), request.producerEpoch(), accepted);
      step.events.add(new TxnOffsetsStaged(request.producerId(), request.producerEpoch(), accepted));
    }
    return step.reply(new PartitionErrors(Errors.NONE, results));
  }

  /**
   * The producer's transaction ended at {@code producerEpoch} (its coordinator's marker): the offsets it staged
   * become the group's committed offsets, or are dropped, and offsets it stages later under an older epoch are
   * refused. Idempotent: nothing staged and the epoch known, nothing stored.
   */
  public Outcome<Errors> settleTxn(Group group, long producerId, short producerEpoch, boolean commit, long now) {
    Step<Errors> step = new Step<>(group, now);
    Group.Draft g = step.group;
    Map<TopicPartition, CommittedOffset> staged = g.pending.of(producerId);
    boolean newEpoch = producerEpoch > g.pending.epochs().getOrDefault(producerId, PendingTxnOffsets.NO_EPOCH);
    if (!staged.isEmpty() || newEpoch) {
      if (commit) {
        g.offsets.putAll(staged);
      }
      g.pending = g.pending.settled(producerId, producerEpoch);
      step.events.add(new TxnOffsetsSettled(producerId, producerEpoch, commit));
    }
    return step.reply(Errors.NONE);
  }

  /**
   * Kafka's OffsetDelete: removes committed offsets, except those of topics the members are subscribed to
   * (GROUP_SUBSCRIBED_TO_TOPIC), as a consumer would commit them again.
   */
  public Outcome<PartitionErrors> deleteOffsets(Group group, List<TopicPartition> partitions, long now) {
    Step<PartitionErrors> step = new Step<>(group, now);
    Group.Draft g = step.group;
    if (!group.exists()) {
      return step.reply(allFailed(partitions, Errors.GROUP_ID_NOT_FOUND));
    }
    boolean consumerProtocol = CONSUMER_PROTOCOL_TYPE.equals(g.protocolType)
        || NATIVE_PROTOCOL_TYPE.equals(g.protocolType);
    if (g.state != GroupState.EMPTY && !consumerProtocol) {
      return step.reply(new PartitionErrors(Errors.NON_EMPTY_GROUP, Map.of()));
    }
    Set<String> subscribed = g.state == GroupState.EMPTY ? Set.of() : subscribedTopics(g);
    Map<TopicPartition, Errors> results = new HashMap<>();
    List<TopicPartition> deleted = new ArrayList<>();
    for (TopicPartition partition : partitions) {
      if (subscribed.contains(partition.topic())) {
        results.put(partition, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
      } else {
        results.put(partition, Errors.NONE);
        if (g.offsets.remove(partition) != null) {
          deleted.add(partition);
        }
      }
    }
    if (!deleted.isEmpty()) {
      step.events.add(new OffsetsDeleted(deleted));
    }
    return step.reply(new PartitionErrors(Errors.NONE, results));
  }

  private static Set<String> subscribedTopics(Group.Draft g) {
    Set<String> topics = new HashSet<>();
    for (Member member : g.members.values()) {
      byte[] metadata = g.protocolName != null
          ? member.metadata(g.protocolName)
          : member.protocols().get(0).metadata();
      try {
        topics.addAll(ServerAssignor.subscription(metadata).topics());
      } catch (KafkaException | IllegalArgumentException | java.nio.BufferUnderflowException e) {
        // Metadata that is not a consumer subscription subscribes to nothing we can name.
      }
    }
    return topics;
  }

  /**
   * Sets committed offsets from outside the group, like {@code kafka-consumer-groups --reset-offsets}: allowed only
   * while the group has no members, so no consumer overwrites them (NON_EMPTY_GROUP otherwise).
   */
  public Outcome<PartitionErrors> resetOffsets(Group group, Map<TopicPartition, Long> offsets, long now) {
    Step<PartitionErrors> step = new Step<>(group, now);
    Group.Draft g = step.group;
    if (g.state != GroupState.EMPTY) {
      return step.reply(allFailed(offsets.keySet(), Errors.NON_EMPTY_GROUP));
    }
    Map<TopicPartition, CommittedOffset> reset = new HashMap<>();
    offsets.forEach((partition, offset) -> reset.put(partition, new CommittedOffset(offset, -1, "", now)));
    if (!reset.isEmpty()) {
      g.offsets.putAll(reset);
      step.events.add(new OffsetsCommitted(reset));
    }
    return step.reply(allFailed(offsets.keySet(), Errors.NONE));
  }

  // Administration

  public GroupDescription describe(Group group) {
    boolean stable = group.state() == GroupState.STABLE;
    List<MemberDescription> members = new ArrayList<>();
    for (Member member : group.members().values()) {
      members.add(new MemberDescription(member.memberId(), member.groupInstanceId(), member.clientId(),
          member.clientHost(), stable ? member.metadata(group.protocolName()) : new byte[0],
          stable ? member.assignment() : new byte[0]));
    }
    return new GroupDescription(group.groupId(), group.reportedState(),
        group.protocolType() == null ? "" : group.protocolType(),
        stable ? group.protocolName() : "", group.generationId(), group.leaderId(), members, group.offsets());
  }

  /** Kafka's DeleteGroups: only a group without members can be deleted; its offsets go with it. */
  public Outcome<Errors> delete(Group group, long now) {
    Step<Errors> step = new Step<>(group, now);
    if (group.state() != GroupState.EMPTY) {
      return step.reply(Errors.NON_EMPTY_GROUP);
    }
    if (!group.exists()) {
      return step.reply(Errors.GROUP_ID_NOT_FOUND);
    }
    Step<Errors> deleted = new Step<>(Group.empty(group.groupId()), now);
    deleted.events.add(new GroupDeleted(now));
    return deleted.reply(Errors.NONE);
  }

  // Helpers

  private static Errors validateMember(Group.Draft g, String memberId, String groupInstanceId) {
    if (groupInstanceId != null) {
      Optional<Member> member = staticMember(g, groupInstanceId);
      if (member.isEmpty()) {
        return Errors.UNKNOWN_MEMBER_ID;
      }
      return member.get().memberId().equals(memberId) ? Errors.NONE : Errors.FENCED_INSTANCE_ID;
    }
    return g.members.containsKey(memberId) ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
  }

  private static Optional<Member> staticMember(Group.Draft g, String groupInstanceId) {
    return g.members.values().stream().filter(m -> groupInstanceId.equals(m.groupInstanceId())).findFirst();
  }

  /** Persists the current generation; an empty group's offsets expire counting from now. */
  private static void storeGeneration(Step<?> step) {
    Group.Draft g = step.group;
    List<StoredMember> members = new ArrayList<>();
    for (Member member : g.members.values()) {
      members.add(member.stored(g.protocolName));
    }
    g.stateTimestamp = step.now;
    step.events.add(
        new GenerationStored(g.generationId, g.protocolType, g.protocolName, g.leaderId, members, step.now));
  }

  private static PartitionErrors allFailed(Collection<TopicPartition> partitions, Errors error) {
    Map<TopicPartition, Errors> results = new HashMap<>();
    partitions.forEach(p -> results.put(p, error));
    return new PartitionErrors(Errors.NONE, results);
  }
}
