package dev.runnel.broker.transaction;

import dev.runnel.broker.CborSerializable;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.partition.PartitionMessenger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
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
 * The coordinator of one transactional id: a sharded, event-sourced entity (entity type {@code transaction},
 * entity id = transactional id) around {@link TransactionMachine}. Every transition is persisted before it is
 * answered. A decision (PrepareCommit, PrepareAbort) is persisted before any of its markers is sent; then the
 * markers go to every partition of the transaction (through this node's {@link PartitionMessenger}, retried until
 * each acknowledges) and the transaction's groups settle their pending offsets (retried likewise), and only then
 * is the transaction stored complete. A coordinator that recovers with a decision whose completion was not stored
 * (after a crash, or on another node) sends it all again: markers and offset settlements are idempotent, so a
 * transaction ends on all its partitions or on none.
 *
 * <p>While a transaction is open or deciding the coordinator keeps itself from being passivated (it messages
 * itself through sharding on each timeout check), so its timeout and its markers are never forgotten. The fields
 * below are runtime state, touched only by this actor.
 */
public final class TransactionCoordinator
    extends EventSourcedBehavior<TransactionCoordinator.Command, TransitionStored, TransactionMetadata> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "transaction");

  /** Crosses nodes to the coordinator's entity: Jackson CBOR. */
  public sealed interface Command extends CborSerializable {}

  /**
   * InitProducerId with this transactional id; {@code producerId} and {@code producerEpoch} are the client's own
   * (KIP-360), -1 for a new producer.
   */
  public record InitProducerId(int timeoutMs, long producerId, short producerEpoch,
      ActorRef<InitProducerIdResult> replyTo) implements Command {}

  /** AddPartitionsToTxn; with {@code verifyOnly} (KIP-890) only checks that they are in the transaction. */
  public record AddPartitions(long producerId, short producerEpoch, List<TopicPartition> partitions,
      boolean verifyOnly, ActorRef<PartitionErrors> replyTo) implements Command {
    public AddPartitions {
      partitions = List.copyOf(partitions);
    }
  }

  public record AddOffsets(long producerId, short producerEpoch, String groupId, ActorRef<Errors> replyTo)
      implements Command {}

  public record EndTxn(long producerId, short producerEpoch, boolean commit, ActorRef<Errors> replyTo)
      implements Command {}

  public record Describe(ActorRef<TransactionMetadata> replyTo) implements Command {}

  /**
   * Starts the coordinator if it sleeps: sent by the recovery sweep (so a decision whose markers were not all
   * written is finished without waiting for its producer) and by the coordinator to itself through sharding (so
   * an open transaction's coordinator is not passivated).
   */
  public record Wake() implements Command {}

  /** What a coordinator asks of a consumer group when its transaction ends: settle the producer's offsets. */
  @FunctionalInterface
  public interface GroupSettlement {
    /** Commits (or drops) the producer's pending offsets in the group; NONE once done. */
    CompletionStage<Errors> settle(String groupId, long producerId, short producerEpoch, boolean commit);
  }

  // Messages of the coordinator to itself: they never leave its node.

  private record ProducerIdAllocated(long producerId, InitProducerId request)
      implements Command, NoSerializationVerificationNeeded {}

  private record ProducerIdFailed(InitProducerId request, Throwable cause)
      implements Command, NoSerializationVerificationNeeded {}

  private record MarkersWritten(int coordinatorEpoch) implements Command, NoSerializationVerificationNeeded {}

  private record PartitionsResolved(int coordinatorEpoch, List<PartitionId> partitions, Throwable failure)
      implements Command, NoSerializationVerificationNeeded {}

  private record ResolvePartitions(int coordinatorEpoch) implements Command, NoSerializationVerificationNeeded {}

  private record GroupSettled(String groupId, int coordinatorEpoch, int attempt, Errors error)
      implements Command, NoSerializationVerificationNeeded {}

  private record SettleGroup(String groupId, int coordinatorEpoch, int attempt)
      implements Command, NoSerializationVerificationNeeded {}

  private enum Tick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** The parked requests have waited {@link #PARKED_WAIT}: answered now, whatever the state. */
  private enum ReleaseParked implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** The completion of one decision under way: what is not acknowledged yet. */
  private static final class Completion {
    final int coordinatorEpoch;
    boolean markersWritten;
    final Set<String> groupsDue;

    Completion(int coordinatorEpoch, Set<String> groups) {
      this.coordinatorEpoch = coordinatorEpoch;
      this.groupsDue = new HashSet<>(groups);
    }

    boolean done() {
      return markersWritten && groupsDue.isEmpty();
    }
  }

  private static final Duration FIRST_RETRY = Duration.ofMillis(200);
  private static final Duration MAX_RETRY = Duration.ofSeconds(10);
  /**
   * How long an AddPartitionsToTxn or AddOffsetsToTxn that arrives while the last decision's markers are being
   * written waits for them before it is told CONCURRENT_TRANSACTIONS. A producer's next transaction starts right
   * after its EndTxn is answered, before the markers are written (a few milliseconds); answered at once, the client
   * backs off 20 ms and more (Kafka's producer) for every transaction. Longer than markers usually take; short
   * enough that a partition that does not acknowledge does not hold the request near its timeout.
   */
  private static final Duration PARKED_WAIT = Duration.ofMillis(500);
  private static final int MAX_PARKED = 16;

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String transactionalId;
  private final TransactionSettings settings;
  private final TransactionMachine machine;
  private final Supplier<CompletionStage<Long>> producerIds;
  private final Function<TopicPartition, CompletionStage<Optional<PartitionId>>> partitionIds;
  private final ActorRef<PartitionMessenger.Command> messenger;
  private final GroupSettlement groups;
  private final LongSupplier clock;
  private Completion completion;
  /** Requests waiting for the current decision's completion (see {@link #PARKED_WAIT}), in arrival order. */
  private final List<Command> parked = new ArrayList<>();

  /**
   * The entity's behavior.
   *
   * @param producerIds allocates a new producer id
   * @param partitionIds the partition of a topic partition, from the topic registry when this node's view does not
   *     know its topic yet; empty when the topic no longer exists
   * @param messenger this node's, which delivers the markers
   * @param clock the time in epoch milliseconds; {@code System::currentTimeMillis} outside tests
   */
  public static Behavior<Command> create(String transactionalId, TransactionSettings settings,
      Supplier<CompletionStage<Long>> producerIds,
      Function<TopicPartition, CompletionStage<Optional<PartitionId>>> partitionIds,
      ActorRef<PartitionMessenger.Command> messenger, GroupSettlement groups, LongSupplier clock) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.timeoutCheckInterval());
      return new TransactionCoordinator(context, timers, transactionalId, settings, producerIds, partitionIds,
          messenger, groups, clock);
    }));
  }

  private TransactionCoordinator(ActorContext<Command> context, TimerScheduler<Command> timers,
      String transactionalId, TransactionSettings settings, Supplier<CompletionStage<Long>> producerIds,
      Function<TopicPartition, CompletionStage<Optional<PartitionId>>> partitionIds,
      ActorRef<PartitionMessenger.Command> messenger, GroupSettlement groups, LongSupplier clock) {
    super(
        // Kafka allows any characters in a transactional id, also PersistenceId.of's separator '|'.
        PersistenceId.ofUniqueId(ENTITY_KEY.name() + "|" + transactionalId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.context = context;
    this.timers = timers;
    this.transactionalId = transactionalId;
    this.settings = settings;
    this.machine = new TransactionMachine(settings.maxTimeout().toMillis());
    this.producerIds = producerIds;
    this.partitionIds = partitionIds;
    this.messenger = messenger;
    this.groups = groups;
    this.clock = clock;
  }

  @Override
  public TransactionMetadata emptyState() {
    return TransactionMetadata.unused(transactionalId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public EventHandler<TransactionMetadata, TransitionStored> eventHandler() {
    return (state, event) -> event.metadata();
  }

  @Override
  public SignalHandler<TransactionMetadata> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.state().preparing()) {
            context.getLog().info("Transaction {}: recovered {} of producer {} epoch {}; writing its markers",
                transactionalId, state.state().kafkaName(), state.producerId(), state.producerEpoch());
            complete(state);
          }
        })
        // Passivated or handed off to another node while requests were parked: answered, so their clients retry
        // (on the new home) instead of waiting out their request timeout.
        .onSignal(PostStop.instance(), this::answerParked)
        .onSignal(PreRestart.instance(), this::answerParked)
        .build();
  }

  @Override
  public CommandHandler<Command, TransitionStored, TransactionMetadata> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(InitProducerId.class, (state, c) -> initProducerId(state, c, -1))
        .onCommand(ProducerIdAllocated.class, (state, c) -> initProducerId(state, c.request(), c.producerId()))
        .onCommand(ProducerIdFailed.class, (state, c) -> {
          context.getLog().warn("Transaction {}: no producer id could be allocated: {}", transactionalId,
              c.cause().toString());
          c.request().replyTo().tell(InitProducerIdResult.failed(Errors.COORDINATOR_NOT_AVAILABLE));
          return Effect().none();
        })
        .onCommand(AddPartitions.class, (state, c) -> c.verifyOnly()
            ? reply(c.replyTo(), machine.verifyPartitions(state, c.producerId(), c.producerEpoch(), c.partitions()))
            : parks(state, c.producerId(), c.producerEpoch(), c) ? Effect().none()
            : run(machine.addPartitions(state, c.producerId(), c.producerEpoch(), c.partitions(), now()),
                c.replyTo()))
        .onCommand(AddOffsets.class, (state, c) -> parks(state, c.producerId(), c.producerEpoch(), c)
            ? Effect().none()
            : run(machine.addGroup(state, c.producerId(), c.producerEpoch(), c.groupId(), now()), c.replyTo()))
        .onCommand(ReleaseParked.class, (state, c) -> {
          answerParked(state);
          return Effect().none();
        })
        .onCommand(EndTxn.class, (state, c) ->
            run(machine.endTxn(state, c.producerId(), c.producerEpoch(), c.commit(), now()), c.replyTo()))
        .onCommand(Describe.class, (state, c) -> reply(c.replyTo(), state))
        .onCommand(Wake.class, (state, c) -> Effect().none())
        .onCommand(Tick.class, this::onTick)
        .onCommand(MarkersWritten.class, (state, c) -> {
          if (completion != null && completion.coordinatorEpoch == c.coordinatorEpoch()) {
            completion.markersWritten = true;
          }
          return completeIfDone(state);
        })
        .onCommand(SettleGroup.class, (state, c) -> {
          if (completion != null && completion.coordinatorEpoch == c.coordinatorEpoch()
              && state.coordinatorEpoch() == c.coordinatorEpoch()) {
            settle(state, c.groupId(), c.attempt());
          }
          return Effect().none();
        })
        .onCommand(GroupSettled.class, (state, c) -> onGroupSettled(state, c))
        .onCommand(PartitionsResolved.class, this::onPartitionsResolved)
        .onCommand(ResolvePartitions.class, (state, c) -> {
          if (completion != null && completion.coordinatorEpoch == c.coordinatorEpoch()
              && state.coordinatorEpoch() == c.coordinatorEpoch()) {
            resolve(state);
          }
          return Effect().none();
        })
        .build();
  }

  private long now() {
    return clock.getAsLong();
  }

  /**
   * Parks a request of the current producer that arrives while its decision's markers are being written (see
   * {@link #PARKED_WAIT}).
   */
  private boolean parks(TransactionMetadata state, long producerId, short producerEpoch, Command request) {
    if (completion == null || !state.state().preparing() || producerId != state.producerId()
        || producerEpoch != state.producerEpoch() || parked.size() >= MAX_PARKED) {
      return false;
    }
    if (parked.isEmpty()) {
      timers.startSingleTimer(ReleaseParked.INSTANCE, PARKED_WAIT);
    }
    parked.add(request);
    return true;
  }

  private Effect<TransitionStored, TransactionMetadata> initProducerId(
      TransactionMetadata state, InitProducerId c, long freshProducerId) {
    Decision<InitProducerIdResult> decision = machine.initProducerId(
        state, c.timeoutMs(), c.producerId(), c.producerEpoch(), freshProducerId, now());
    if (decision.needsProducerId()) {
      context.pipeToSelf(producerIds.get(), (id, failure) -> failure == null
          ? new ProducerIdAllocated(id, c)
          : new ProducerIdFailed(c, failure));
      return Effect().none();
    }
    return run(decision, c.replyTo());
  }

  /** The parked requests, in arrival order, and none parked any more. */
  private List<Command> takeParked() {
    List<Command> waiting = List.copyOf(parked);
    parked.clear();
    return waiting;
  }

  private void answerParked(TransactionMetadata state) {
    takeParked().forEach(request -> answerUnparked(state, request));
  }

  /**
   * Answers a parked request without handling it: the decision is still being completed (parked requests are
   * handled once it is stored), so the machine refuses the addition (CONCURRENT_TRANSACTIONS, or an error of the
   * producer's) and the client asks again. A reply that would need a stored transition is never sent from here.
   */
  private void answerUnparked(TransactionMetadata state, Command request) {
    if (request instanceof AddPartitions c) {
      Decision<PartitionErrors> decision =
          machine.addPartitions(state, c.producerId(), c.producerEpoch(), c.partitions(), now());
      c.replyTo().tell(decision.next() == null ? decision.reply()
          : TransactionMachine.allFailed(c.partitions(), Errors.CONCURRENT_TRANSACTIONS));
    } else if (request instanceof AddOffsets c) {
      Decision<Errors> decision = machine.addGroup(state, c.producerId(), c.producerEpoch(), c.groupId(), now());
      c.replyTo().tell(decision.next() == null ? decision.reply() : Errors.CONCURRENT_TRANSACTIONS);
    }
  }

  private <R> Effect<TransitionStored, TransactionMetadata> reply(ActorRef<R> replyTo, R reply) {
    replyTo.tell(reply);
    return Effect().none();
  }

  private <R> Effect<TransitionStored, TransactionMetadata> run(Decision<R> decision, ActorRef<R> replyTo) {
    if (decision.next() == null) {
      if (replyTo != null && decision.reply() != null) {
        replyTo.tell(decision.reply());
      }
      return Effect().none();
    }
    return Effect().persist(new TransitionStored(decision.next())).thenRun(after -> {
      if (replyTo != null && decision.reply() != null) {
        replyTo.tell(decision.reply());
      }
      if (after.state().preparing()) {
        context.getLog().info("Transaction {}: {} producer {} epoch {} over {} partitions and {} groups",
            transactionalId, after.state().kafkaName(), after.producerId(), after.producerEpoch(),
            after.partitions().size(), after.groups().size());
        complete(after);
      }
    });
  }

  private Effect<TransitionStored, TransactionMetadata> onTick(TransactionMetadata state, Tick tick) {
    if (state.state() == TransactionState.ONGOING || state.state().preparing()) {
      // Through the shard, so that it counts as activity: an open or deciding transaction is never passivated.
      ClusterSharding.get(context.getSystem()).entityRefFor(ENTITY_KEY, transactionalId).tell(new Wake());
    }
    Decision<Void> decision = machine.tick(state, now());
    if (decision.next() != null) {
      context.getLog().info("Transaction {}: producer {} epoch {} timed out after {} ms; aborting", transactionalId,
          state.producerId(), state.producerEpoch(), state.timeoutMs());
    }
    return run(decision, null);
  }

  /** Writes the markers of the stored decision {@code decided} and settles its groups' offsets. */
  private void complete(TransactionMetadata decided) {
    if (completion != null && completion.coordinatorEpoch == decided.coordinatorEpoch()) {
      return;
    }
    if (settings.haltAfterDecision()) {
      // The test hook: a broker killed between the decision and its markers.
      context.getLog().warn("Transaction {}: halting the JVM after the decision, before its markers"
          + " (runnel.broker.transaction.test-halt-after-decision)", transactionalId);
      Runtime.getRuntime().halt(137);
    }
    completion = new Completion(decided.coordinatorEpoch(), decided.groups());
    resolve(decided);
    for (String group : decided.groups()) {
      settle(decided, group, 0);
    }
  }

  /**
   * Looks up the partitions of the decision. A node that just started may not know the topics yet: they are asked
   * of the topic registry, and only a topic the registry does not have is left out (its partitions are gone).
   */
  private void resolve(TransactionMetadata decided) {
    List<CompletableFuture<Optional<PartitionId>>> lookups = new ArrayList<>();
    List<TopicPartition> asked = new ArrayList<>(decided.partitions());
    for (TopicPartition partition : asked) {
      lookups.add(partitionIds.apply(partition).toCompletableFuture());
    }
    int epoch = decided.coordinatorEpoch();
    context.pipeToSelf(CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)), (done, failure) -> {
      if (failure != null) {
        return new PartitionsResolved(epoch, List.of(), failure);
      }
      List<PartitionId> found = new ArrayList<>();
      for (int i = 0; i < asked.size(); i++) {
        Optional<PartitionId> id = lookups.get(i).join();
        if (id.isPresent()) {
          found.add(id.get());
        } else {
          context.getLog().warn("Transaction {}: topic of partition {} no longer exists; no marker for it",
              transactionalId, asked.get(i));
        }
      }
      return new PartitionsResolved(epoch, found, null);
    });
  }

  private Effect<TransitionStored, TransactionMetadata> onPartitionsResolved(
      TransactionMetadata state, PartitionsResolved resolved) {
    if (completion == null || completion.coordinatorEpoch != resolved.coordinatorEpoch()
        || state.coordinatorEpoch() != resolved.coordinatorEpoch()) {
      return Effect().none();
    }
    if (resolved.failure() != null) {
      context.getLog().warn("Transaction {}: could not look up its partitions ({}); retrying in {}",
          transactionalId, resolved.failure().toString(), FIRST_RETRY.multipliedBy(5));
      timers.startSingleTimer(new ResolvePartitions(resolved.coordinatorEpoch()), FIRST_RETRY.multipliedBy(5));
      return Effect().none();
    }
    int epoch = resolved.coordinatorEpoch();
    ActorRef<Done> written = context.messageAdapter(Done.class, done -> new MarkersWritten(epoch));
    messenger.tell(new PartitionMessenger.WriteTxnMarkers(resolved.partitions(), state.producerId(),
        state.producerEpoch(), epoch, state.state() == TransactionState.PREPARE_COMMIT, written));
    return Effect().none();
  }

  private void settle(TransactionMetadata decided, String groupId, int attempt) {
    int epoch = decided.coordinatorEpoch();
    context.pipeToSelf(groups.settle(groupId, decided.producerId(), decided.producerEpoch(),
            decided.state() == TransactionState.PREPARE_COMMIT),
        (error, failure) -> new GroupSettled(groupId, epoch, attempt,
            failure != null ? Errors.forException(failure) : error));
  }

  private Effect<TransitionStored, TransactionMetadata> onGroupSettled(TransactionMetadata state, GroupSettled c) {
    if (completion == null || completion.coordinatorEpoch != c.coordinatorEpoch()) {
      return Effect().none();
    }
    if (c.error() == Errors.NONE) {
      completion.groupsDue.remove(c.groupId());
      return completeIfDone(state);
    }
    int attempt = c.attempt() + 1;
    Duration backoff = FIRST_RETRY.multipliedBy(1L << Math.min(attempt - 1, 10));
    backoff = backoff.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : backoff;
    if (attempt == 1 || attempt % 10 == 0) {
      context.getLog().warn("Transaction {}: group {} has not settled its offsets (attempt {}: {}); retrying in {}",
          transactionalId, c.groupId(), attempt, c.error(), backoff);
    }
    timers.startSingleTimer(new SettleGroup(c.groupId(), c.coordinatorEpoch(), attempt), backoff);
    return Effect().none();
  }

  private Effect<TransitionStored, TransactionMetadata> completeIfDone(TransactionMetadata state) {
    if (completion == null || !completion.done()) {
      return Effect().none();
    }
    int epoch = completion.coordinatorEpoch;
    completion = null;
    Decision<Void> decision = machine.markersWritten(state, epoch, now());
    if (decision.next() == null) {
      handleParked();
      return Effect().none();
    }
    context.getLog().info("Transaction {}: {} of producer {} epoch {}", transactionalId,
        decision.next().state().kafkaName(), state.producerId(), state.producerEpoch());
    return Effect().persist(new TransitionStored(decision.next())).thenRun(after -> handleParked());
  }

  /** The completion has ended: the parked requests are handled now, in arrival order (the next transaction). */
  private void handleParked() {
    timers.cancel(ReleaseParked.INSTANCE);
    takeParked().forEach(request -> context.getSelf().tell(request));
  }
}
