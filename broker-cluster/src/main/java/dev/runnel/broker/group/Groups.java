package dev.runnel.broker.group;

import dev.runnel.broker.cluster.CoordinatorMoves;
import dev.runnel.broker.cluster.ClusterView;
import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.persistence.JournalProfile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidGroupIdException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Consumer groups as every protocol door sees them: the Kafka group APIs, the native client and the HTTP API all
 * call here, and here each call goes to the group's coordinator entity. A coordinator that does not answer in
 * time is reported as COORDINATOR_NOT_AVAILABLE, and a call whose coordinator moved to another node meanwhile
 * (its node died or left, or a joining node took the group) as NOT_COORDINATOR, so Kafka clients look it up
 * again and retry.
 *
 * <p>Thread-safe; all methods are asynchronous.
 */
public final class Groups {

  /** The read journal that lists groups; the same plugin id the partitions read through. */

  /** JoinGroup and SyncGroup wait for the rebalance: they get the rebalance timeout on top of the ask timeout. */
  private static final Duration PARKED_WAIT = Duration.ofMinutes(5);

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Broker broker;
  private final Duration askTimeout;
  private final ClusterView cluster;

  private Groups(ActorSystem<?> system, ClusterSharding sharding, Broker broker) {
    this.system = system;
    this.sharding = sharding;
    this.broker = broker;
    this.cluster = ClusterView.get(system);
    this.askTimeout = broker.settings().askTimeout();
  }

  /** Starts sharding of group coordinators on this node, placed by {@code allocation}. */
  public static Groups init(ActorSystem<?> system, Broker broker, GroupSettings settings,
      ShardCoordinator.ShardAllocationStrategy allocation) {
    ClusterSharding sharding = ClusterSharding.get(system);
    GroupMachine machine = new GroupMachine(settings, () -> UUID.randomUUID().toString(),
        topic -> broker.topic(topic).map(TopicMetadata::partitions).orElse(0));
    sharding.init(Entity.of(GroupCoordinator.ENTITY_KEY, entity -> GroupCoordinator.create(
        entity.getEntityId(), settings, machine, System::currentTimeMillis)).withAllocationStrategy(allocation));
    return new Groups(system, sharding, broker);
  }

  // The classic protocol

  public CompletionStage<JoinResult> join(String groupId, JoinRequest request) {
    Duration timeout = askTimeout.plusMillis(Math.max(request.rebalanceTimeoutMs(), 0));
    return ask(groupId, replyTo -> new GroupCoordinator.Join(request, replyTo), timeout,
        error -> JoinResult.error(error, request.memberId()));
  }

  public CompletionStage<SyncResult> sync(String groupId, SyncRequest request) {
    return ask(groupId, replyTo -> new GroupCoordinator.Sync(request, replyTo), askTimeout.plus(PARKED_WAIT),
        SyncResult::error);
  }

  public CompletionStage<Errors> heartbeat(String groupId, HeartbeatRequest request) {
    return ask(groupId, replyTo -> new GroupCoordinator.Heartbeat(request, replyTo), askTimeout, error -> error);
  }

  public CompletionStage<LeaveResult> leave(String groupId, LeaveRequest request) {
    return ask(groupId, replyTo -> new GroupCoordinator.Leave(request, replyTo), askTimeout,
        error -> new LeaveResult(error, List.of()));
  }

  // Offsets

  public CompletionStage<PartitionErrors> commitOffsets(String groupId, OffsetCommitRequest request) {
    return ask(groupId, replyTo -> new GroupCoordinator.CommitOffsets(request, replyTo), askTimeout,
        error -> allFailed(request.offsets().keySet(), error));
  }

  /** TxnOffsetCommit: stages the offsets for the producer's transaction. */
  public CompletionStage<PartitionErrors> commitTxnOffsets(String groupId, TxnOffsetCommitRequest request) {
    return ask(groupId, replyTo -> new GroupCoordinator.CommitTxnOffsets(request, replyTo), askTimeout,
        error -> allFailed(request.offsets().keySet(), error));
  }

  /**
   * The end of a producer's transaction, from its coordinator: the offsets it staged in the group are committed or
   * dropped. NONE once done; the caller retries any other answer.
   */
  public CompletionStage<Errors> settleTxnOffsets(String groupId, long producerId, short producerEpoch,
      boolean commit) {
    return ask(groupId, replyTo -> new GroupCoordinator.SettleTxnOffsets(producerId, producerEpoch, commit, replyTo),
        askTimeout, error -> error);
  }

  /** The committed offsets of {@code partitions}, or of all partitions when it is null. */
  public CompletionStage<OffsetFetchResult> fetchOffsets(String groupId, List<TopicPartition> partitions) {
    List<TopicPartition> asked = partitions == null ? null : List.copyOf(partitions);
    return ask(groupId, replyTo -> new GroupCoordinator.FetchOffsets(asked, replyTo), askTimeout,
        error -> new OffsetFetchResult(error, Map.of()));
  }

  public CompletionStage<PartitionErrors> deleteOffsets(String groupId, List<TopicPartition> partitions) {
    List<TopicPartition> asked = List.copyOf(partitions);
    return ask(groupId, replyTo -> new GroupCoordinator.DeleteOffsets(asked, replyTo), askTimeout,
        error -> new PartitionErrors(error, Map.of()));
  }

  // Administration

  public CompletionStage<GroupDescription> describe(String groupId) {
    return ask(groupId, GroupCoordinator.Describe::new, askTimeout);
  }

  /** Every group that exists (has members or committed offsets), as each coordinator describes it. */
  public CompletionStage<List<GroupDescription>> listGroups() {
    return persistedGroupIds()
        .mapAsyncUnordered(8, this::describe)
        .filter(group -> group.state() != GroupState.DEAD)
        .runWith(Sink.seq(), system)
        .thenApply(List::copyOf);
  }

  /** The ids of the groups that ever persisted anything, from the journal alone: no coordinator is asked. */
  public CompletionStage<List<String>> groupIds() {
    return persistedGroupIds().runWith(Sink.seq(), system).thenApply(List::copyOf);
  }

  private org.apache.pekko.stream.javadsl.Source<String, org.apache.pekko.NotUsed> persistedGroupIds() {
    String prefix = GroupCoordinator.ENTITY_KEY.name() + "|";
    CurrentPersistenceIdsQuery ids = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(CurrentPersistenceIdsQuery.class,
            system.settings().config().getString(JournalProfile.READ_JOURNAL_KEY));
    return ids.currentPersistenceIds()
        .filter(id -> id.startsWith(prefix))
        .map(id -> id.substring(prefix.length()));
  }

  public CompletionStage<Errors> deleteGroup(String groupId) {
    return ask(groupId, GroupCoordinator.DeleteGroup::new, askTimeout, error -> error);
  }

  /**
   * The group's lag on every partition it has committed or is assigned (assignments are read as Kafka's consumer
   * protocol, which native members use too). Fails with the Kafka exception of the group's error.
   */
  public CompletionStage<List<PartitionLag>> lag(String groupId) {
    return describe(groupId).thenCompose(group -> {
      Map<TopicPartition, String> owners = new HashMap<>();
      for (GroupDescription.MemberDescription member : group.members()) {
        for (TopicPartition partition : assignedPartitions(member.assignment())) {
          owners.put(partition, member.memberId());
        }
      }
      List<TopicPartition> partitions = new ArrayList<>(group.offsets().keySet());
      owners.keySet().stream().filter(p -> !group.offsets().containsKey(p)).forEach(partitions::add);
      partitions.sort((a, b) -> a.topic().equals(b.topic())
          ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
      List<CompletableFuture<PartitionLag>> lags = new ArrayList<>();
      for (TopicPartition partition : partitions) {
        CommittedOffset committed = group.offsets().get(partition);
        long offset = committed == null ? -1 : committed.offset();
        lags.add(logEnd(partition).thenApply(end -> new PartitionLag(partition.topic(), partition.partition(),
            offset, end, offset < 0 || end < 0 ? -1 : Math.max(0, end - offset), owners.get(partition)))
            .toCompletableFuture());
      }
      return CompletableFuture.allOf(lags.toArray(CompletableFuture[]::new))
          .thenApply(done -> lags.stream().map(CompletableFuture::join).toList());
    });
  }

  private static List<TopicPartition> assignedPartitions(byte[] assignment) {
    if (assignment.length == 0) {
      return List.of();
    }
    try {
      Assignment decoded = ServerAssignor.assignment(assignment);
      return decoded.partitions();
    } catch (KafkaException | IllegalArgumentException | java.nio.BufferUnderflowException e) {
      // A group of another protocol type: its assignment is not in partitions we can name.
      return List.of();
    }
  }

  private CompletionStage<Long> logEnd(TopicPartition partition) {
    PartitionId id;
    try {
      id = broker.partition(partition.topic(), partition.partition());
    } catch (ApiException e) {
      return CompletableFuture.completedFuture(-1L);
    }
    return broker.status(id).handle((status, failure) -> failure == null ? status.logEndOffset() : -1L);
  }

  /**
   * Moves the group's committed offsets on every partition of {@code topic}, like
   * {@code kafka-consumer-groups --reset-offsets --topic}: only while the group has no members (NON_EMPTY_GROUP).
   * Fails with UnknownTopicOrPartitionException for an unknown topic.
   */
  public CompletionStage<PartitionErrors> resetOffsets(String groupId, String topic, OffsetReset target) {
    return broker.lookupTopic(topic).thenCompose(found -> {
      TopicMetadata metadata = found.orElseThrow(
          () -> new org.apache.kafka.common.errors.UnknownTopicOrPartitionException(
              "Topic '" + topic + "' does not exist."));
      List<CompletableFuture<Map.Entry<TopicPartition, Long>>> targets = new ArrayList<>();
      for (PartitionId partition : Broker.partitions(metadata)) {
        TopicPartition key = new TopicPartition(topic, partition.partition());
        targets.add(targetOffset(partition, target).thenApply(offset -> Map.entry(key, offset)).toCompletableFuture());
      }
      return CompletableFuture.allOf(targets.toArray(CompletableFuture[]::new)).thenCompose(done -> {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        targets.forEach(t -> offsets.put(t.join().getKey(), t.join().getValue()));
        return ask(groupId, replyTo -> new GroupCoordinator.ResetOffsets(offsets, replyTo), askTimeout,
            error -> allFailed(offsets.keySet(), error));
      });
    });
  }

  private CompletionStage<Long> targetOffset(PartitionId partition, OffsetReset target) {
    if (target instanceof OffsetReset.ToEarliest) {
      return lookup(partition, Partition.EARLIEST_TIMESTAMP);
    } else if (target instanceof OffsetReset.ToLatest) {
      return lookup(partition, Partition.LATEST_TIMESTAMP);
    } else if (target instanceof OffsetReset.ToTimestamp at) {
      // No record at or after the timestamp: the consumer starts at the end, as Kafka's tool does.
      return lookup(partition, at.timestamp()).thenCompose(offset -> offset >= 0
          ? CompletableFuture.completedFuture(offset)
          : lookup(partition, Partition.LATEST_TIMESTAMP));
    } else if (target instanceof OffsetReset.ToOffset to) {
      return broker.status(partition)
          .thenApply(status -> Math.min(Math.max(to.offset(), status.logStartOffset()), status.logEndOffset()));
    }
    throw new IllegalArgumentException("unknown offset reset " + target);
  }

  private CompletionStage<Long> lookup(PartitionId partition, long timestamp) {
    return broker.listOffsets(partition, timestamp).thenApply(found -> {
      if (found.error() != Errors.NONE) {
        throw found.error().exception("Partition " + partition + ": " + found.error().message());
      }
      return found.offset();
    });
  }

  /** Asks the group's coordinator; fails with InvalidGroupIdException or CoordinatorNotAvailableException. */
  private <R> CompletionStage<R> ask(
      String groupId,
      org.apache.pekko.japi.function.Function<ActorRef<R>, GroupCoordinator.Command> command,
      Duration timeout) {
    if (groupId == null || groupId.isEmpty()) {
      return CompletableFuture.failedFuture(new InvalidGroupIdException("The group id must not be empty."));
    }
    if (cluster.selfStopping()) {
      return CompletableFuture.failedFuture(Errors.COORDINATOR_NOT_AVAILABLE.exception(
          "This node is stopping; group '" + groupId + "' is coordinated again on its next host"));
    }
    EntityRef<GroupCoordinator.Command> coordinator = sharding.entityRefFor(GroupCoordinator.ENTITY_KEY, groupId);
    return CoordinatorMoves.watch(system, "group '" + groupId + "'", () -> cluster.groupCoordinator(groupId),
        coordinator.ask(command, timeout).exceptionallyCompose(failure -> CompletableFuture.failedFuture(
            Errors.COORDINATOR_NOT_AVAILABLE.exception("Group '" + groupId + "' did not answer in " + timeout))));
  }

  /** Like {@link #ask(String, org.apache.pekko.japi.function.Function, Duration)}, the failure as a reply. */
  private <R> CompletionStage<R> ask(
      String groupId,
      org.apache.pekko.japi.function.Function<ActorRef<R>, GroupCoordinator.Command> command,
      Duration timeout,
      Function<Errors, R> onError) {
    return ask(groupId, command, timeout)
        .exceptionally(failure -> onError.apply(Errors.forException(Broker.unwrap(failure))));
  }

  private static PartitionErrors allFailed(Iterable<TopicPartition> partitions, Errors error) {
    Map<TopicPartition, Errors> results = new HashMap<>();
    partitions.forEach(p -> results.put(p, error));
    return new PartitionErrors(error, results);
  }
}
