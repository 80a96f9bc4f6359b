package dev.runnel.broker.group;

import dev.runnel.broker.CborSerializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The coordinator of one consumer group: a sharded, event-sourced entity (entity type {@code group}, entity id =
 * group id) around {@link GroupMachine}. It persists completed generations and committed offsets, keeps
 * membership and liveness in memory, checks deadlines on a timer ({@code tick-interval}), and answers JoinGroup
 * and SyncGroup requests that must wait for a rebalance once it completes.
 *
 * <p>The fields below are runtime state, touched only by this actor: the group's current value and the parked
 * requests, which are answered only after the events of the step that answers them are stored.
 */
public final class GroupCoordinator extends EventSourcedBehavior<GroupCoordinator.Command, GroupEvent, StoredGroup> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "group");

  /** Crosses nodes to the coordinator's entity: Jackson CBOR. */
  public sealed interface Command extends CborSerializable {}

  public record Join(JoinRequest request, ActorRef<JoinResult> replyTo) implements Command {}

  public record Sync(SyncRequest request, ActorRef<SyncResult> replyTo) implements Command {}

  public record Heartbeat(HeartbeatRequest request, ActorRef<Errors> replyTo) implements Command {}

  public record Leave(LeaveRequest request, ActorRef<LeaveResult> replyTo) implements Command {}

  public record CommitOffsets(OffsetCommitRequest request, ActorRef<PartitionErrors> replyTo) implements Command {}

  /** TxnOffsetCommit: offsets staged for the producer's transaction. */
  public record CommitTxnOffsets(TxnOffsetCommitRequest request, ActorRef<PartitionErrors> replyTo)
      implements Command {}

  /** The transaction coordinator's marker for the group: the producer's staged offsets are committed or dropped. */
  public record SettleTxnOffsets(long producerId, short producerEpoch, boolean commit, ActorRef<Errors> replyTo)
      implements Command {}

  /** The committed offsets of {@code partitions}, or of all partitions when it is null. */
  public record FetchOffsets(List<TopicPartition> partitions, ActorRef<OffsetFetchResult> replyTo)
      implements Command {}

  public record Describe(ActorRef<GroupDescription> replyTo) implements Command {}

  public record DeleteGroup(ActorRef<Errors> replyTo) implements Command {}

  public record DeleteOffsets(List<TopicPartition> partitions, ActorRef<PartitionErrors> replyTo)
      implements Command {}

  public record ResetOffsets(Map<TopicPartition, Long> offsets, ActorRef<PartitionErrors> replyTo)
      implements Command {}

  /** The coordinator's timer, never leaves its node. */
  private enum Tick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private final ActorContext<Command> context;
  private final String groupId;
  private final GroupSettings settings;
  private final GroupMachine machine;
  private final LongSupplier clock;
  private final Map<String, ActorRef<JoinResult>> parkedJoins = new HashMap<>();
  private final Map<String, ActorRef<SyncResult>> parkedSyncs = new HashMap<>();
  private Group group;

  /**
   * The entity's behavior.
   *
   * @param clock the time in epoch milliseconds; {@code System::currentTimeMillis} outside tests
   */
  public static Behavior<Command> create(
      String groupId, GroupSettings settings, GroupMachine machine, LongSupplier clock) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tickInterval());
      return new GroupCoordinator(context, groupId, settings, machine, clock);
    }));
  }

  private GroupCoordinator(
      ActorContext<Command> context, String groupId, GroupSettings settings, GroupMachine machine,
      LongSupplier clock) {
    super(
        // Kafka allows any characters in a group id, also PersistenceId.of's separator '|': the same id, built
        // without its check.
        PersistenceId.ofUniqueId(ENTITY_KEY.name() + "|" + groupId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.context = context;
    this.groupId = groupId;
    this.settings = settings;
    this.machine = machine;
    this.clock = clock;
    this.group = Group.empty(groupId);
  }

  @Override
  public StoredGroup emptyState() {
    return StoredGroup.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public EventHandler<StoredGroup, GroupEvent> eventHandler() {
    return StoredGroup::apply;
  }

  @Override
  public SignalHandler<StoredGroup> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> group = Group.recovered(groupId, state, clock.getAsLong()))
        .build();
  }

  @Override
  public CommandHandler<Command, GroupEvent, StoredGroup> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Join.class, c -> run(machine.join(group, c.request(), now()), c.replyTo(), parkedJoins))
        .onCommand(Sync.class, c -> run(machine.sync(group, c.request(), now()), c.replyTo(), parkedSyncs))
        .onCommand(Heartbeat.class, c -> run(machine.heartbeat(group, c.request(), now()), c.replyTo(), null))
        .onCommand(Leave.class, c -> run(machine.leave(group, c.request(), now()), c.replyTo(), null))
        .onCommand(CommitOffsets.class, c -> run(machine.commit(group, c.request(), now()), c.replyTo(), null))
        .onCommand(CommitTxnOffsets.class,
            c -> run(machine.txnCommit(group, c.request(), now()), c.replyTo(), null))
        .onCommand(SettleTxnOffsets.class,
            c -> run(machine.settleTxn(group, c.producerId(), c.producerEpoch(), c.commit(), now()), c.replyTo(), null))
        .onCommand(FetchOffsets.class,
            c -> afterDeadlines(() -> c.replyTo().tell(machine.fetchOffsets(group, c.partitions()))))
        .onCommand(Describe.class, c -> afterDeadlines(() -> c.replyTo().tell(machine.describe(group))))
        .onCommand(DeleteGroup.class, c -> run(machine.delete(group, now()), c.replyTo(), null))
        .onCommand(DeleteOffsets.class,
            c -> run(machine.deleteOffsets(group, c.partitions(), now()), c.replyTo(), null))
        .onCommand(ResetOffsets.class, c -> run(machine.resetOffsets(group, c.offsets(), now()), c.replyTo(), null))
        .onCommand(Tick.class, c -> run(machine.tick(group, now()), null, null))
        .build();
  }

  private long now() {
    return clock.getAsLong();
  }

  /**
   * Reads see the group as of now: a passivated group that wakes up applies what its deadlines decided while it
   * slept (expired offsets) before it answers.
   */
  private Effect<GroupEvent, StoredGroup> afterDeadlines(Runnable reply) {
    return run(machine.tick(group, now()), null, null, reply);
  }

  private <R> Effect<GroupEvent, StoredGroup> run(
      Outcome<R> outcome, ActorRef<R> replyTo, Map<String, ActorRef<R>> parking) {
    return run(outcome, replyTo, parking, () -> {});
  }

  private <R> Effect<GroupEvent, StoredGroup> run(
      Outcome<R> outcome, ActorRef<R> replyTo, Map<String, ActorRef<R>> parking, Runnable then) {
    Group before = group;
    group = outcome.group();
    logChange(before, group);
    if (outcome.reply() == null && parking != null && outcome.parkedMemberId() != null) {
      parking.put(outcome.parkedMemberId(), replyTo);
    }
    Runnable send = () -> {
      for (Outcome.JoinDelivery delivery : outcome.joins()) {
        ActorRef<JoinResult> parked = parkedJoins.remove(delivery.memberId());
        if (parked != null) {
          parked.tell(delivery.result());
        }
      }
      for (Outcome.SyncDelivery delivery : outcome.syncs()) {
        ActorRef<SyncResult> parked = parkedSyncs.remove(delivery.memberId());
        if (parked != null) {
          parked.tell(delivery.result());
        }
      }
      if (outcome.reply() != null && replyTo != null) {
        replyTo.tell(outcome.reply());
      }
      then.run();
    };
    if (outcome.events().isEmpty()) {
      send.run();
      return Effect().none();
    }
    return Effect().persist(outcome.events()).thenRun(state -> send.run());
  }

  private void logChange(Group before, Group after) {
    if (before.state() != after.state() || before.generationId() != after.generationId()) {
      context.getLog().info("Group {}: {} generation {} -> {} generation {} with {} members ({})", groupId,
          before.state().kafkaName(), before.generationId(), after.state().kafkaName(), after.generationId(),
          after.members().size(), after.protocolName());
    }
  }
}
