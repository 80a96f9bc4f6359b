package dev.runnel.broker.transaction;

import dev.runnel.broker.Broker;
import dev.runnel.broker.cluster.ClusterView;
import dev.runnel.broker.cluster.CoordinatorMoves;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.group.TxnOffsetCommitRequest;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.partition.PartitionMessenger;
import dev.runnel.persistence.JournalProfile;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Transactions as the Kafka door sees them: each call goes to the transactional id's coordinator entity
 * ({@link TransactionCoordinator}) wherever it is hosted. A coordinator that does not answer in time is reported
 * as COORDINATOR_NOT_AVAILABLE, and one that moved to another node meanwhile (its node died or left) as
 * NOT_COORDINATOR at once, so the producer looks it up again ({@link CoordinatorMoves}); both are retriable.
 *
 * <p>Thread-safe; all methods are asynchronous.
 */
public final class Transactions {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final TransactionSettings settings;
  private final ClusterView cluster;
  private final Groups groups;

  private Transactions(ActorSystem<?> system, ClusterSharding sharding, Duration askTimeout,
      TransactionSettings settings, Groups groups) {
    this.system = system;
    this.groups = groups;
    this.sharding = sharding;
    this.askTimeout = askTimeout;
    this.settings = settings;
    this.cluster = ClusterView.get(system);
  }

  /**
   * Starts sharding of transaction coordinators on this node, placed by {@code allocation}; their markers go
   * through this node's {@code messenger}, their offsets to {@code groups}.
   */
  public static Transactions init(ActorSystem<?> system, Broker broker, Groups groups,
      ActorRef<PartitionMessenger.Command> messenger, TransactionSettings settings,
      ShardCoordinator.ShardAllocationStrategy allocation) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Function<TopicPartition, CompletionStage<Optional<PartitionId>>> partitionIds = partition ->
        broker.lookupTopic(partition.topic()).thenApply(found -> found
            .filter(topic -> partition.partition() < topic.partitions())
            .map(topic -> Broker.partition(topic, partition.partition())));
    sharding.init(Entity.of(TransactionCoordinator.ENTITY_KEY, entity -> TransactionCoordinator.create(
            entity.getEntityId(), settings, broker::allocateProducerId, partitionIds, messenger,
            groups::settleTxnOffsets, System::currentTimeMillis))
        .withAllocationStrategy(allocation));
    return new Transactions(system, sharding, broker.settings().askTimeout(), settings, groups);
  }

  public TransactionSettings settings() {
    return settings;
  }

  public CompletionStage<InitProducerIdResult> initProducerId(
      String transactionalId, int timeoutMs, long producerId, short producerEpoch) {
    return ask(transactionalId,
        replyTo -> new TransactionCoordinator.InitProducerId(timeoutMs, producerId, producerEpoch, replyTo),
        InitProducerIdResult::failed);
  }

  public CompletionStage<PartitionErrors> addPartitions(String transactionalId, long producerId,
      short producerEpoch, List<TopicPartition> partitions, boolean verifyOnly) {
    return ask(transactionalId, replyTo -> new TransactionCoordinator.AddPartitions(
        producerId, producerEpoch, partitions, verifyOnly, replyTo), error -> allFailed(partitions, error));
  }

  public CompletionStage<Errors> addOffsets(
      String transactionalId, long producerId, short producerEpoch, String groupId) {
    return ask(transactionalId,
        replyTo -> new TransactionCoordinator.AddOffsets(producerId, producerEpoch, groupId, replyTo),
        error -> error);
  }

  /**
   * Kafka's TxnOffsetCommit, as both protocols serve it: the offsets go to the group's coordinator, which holds
   * them until the transaction ends, once the transaction coordinator has put the group in the producer's open
   * transaction (AddOffsetsToTxn, which changes nothing when it is in already) and so confirmed the producer's
   * epoch: a fenced zombie is answered PRODUCER_FENCED, and its offsets are never staged under the producer id its
   * successor commits with. A successor that takes over after this check is caught by the group, which refuses
   * offsets of an epoch older than one it has settled ({@code PendingTxnOffsets}).
   */
  public CompletionStage<PartitionErrors> commitOffsets(String transactionalId, String groupId,
      TxnOffsetCommitRequest request) {
    return addOffsets(transactionalId, request.producerId(), request.producerEpoch(), groupId)
        .thenCompose(verified -> verified != Errors.NONE
            ? CompletableFuture.completedFuture(new PartitionErrors(verified, Map.of()))
            : groups.commitTxnOffsets(groupId, request));
  }

  public CompletionStage<Errors> endTxn(String transactionalId, long producerId, short producerEpoch,
      boolean commit) {
    return ask(transactionalId,
        replyTo -> new TransactionCoordinator.EndTxn(producerId, producerEpoch, commit, replyTo), error -> error);
  }

  /** The transactional id's metadata; fails with the Kafka exception of COORDINATOR_NOT_AVAILABLE. */
  public CompletionStage<TransactionMetadata> describe(String transactionalId) {
    if (transactionalId == null || transactionalId.isEmpty()) {
      return CompletableFuture.failedFuture(new InvalidRequestException("The transactional id must not be empty."));
    }
    if (cluster.selfStopping()) {
      return CompletableFuture.failedFuture(Errors.COORDINATOR_NOT_AVAILABLE.exception(
          "This node is stopping; transactional id '" + transactionalId + "' is coordinated again on its next host"));
    }
    return untilCoordinatorMoves(transactionalId, sharding.entityRefFor(TransactionCoordinator.ENTITY_KEY,
            transactionalId).ask(TransactionCoordinator.Describe::new, askTimeout)
        .exceptionallyCompose(failure -> CompletableFuture.failedFuture(Errors.COORDINATOR_NOT_AVAILABLE.exception(
            "Transaction coordinator of '" + transactionalId + "' did not answer in " + askTimeout))));
  }

  /** Every transactional id a producer initialized, as each coordinator describes it. */
  public CompletionStage<List<TransactionMetadata>> list() {
    return transactionalIds()
        .mapAsyncUnordered(8, this::describe)
        .filter(TransactionMetadata::initialized)
        .runWith(Sink.seq(), system)
        .thenApply(List::copyOf);
  }

  /** Starts every coordinator that ever persisted anything, so that one holding a decision finishes it. */
  public CompletionStage<Integer> wakeAll() {
    return transactionalIds()
        .map(id -> {
          sharding.entityRefFor(TransactionCoordinator.ENTITY_KEY, id).tell(new TransactionCoordinator.Wake());
          return id;
        })
        .runWith(Sink.fold(0, (count, id) -> count + 1), system);
  }

  /** The transactional ids that ever persisted anything, from the journal alone. */
  private Source<String, NotUsed> transactionalIds() {
    String prefix = TransactionCoordinator.ENTITY_KEY.name() + "|";
    CurrentPersistenceIdsQuery ids = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(CurrentPersistenceIdsQuery.class,
            system.settings().config().getString(JournalProfile.READ_JOURNAL_KEY));
    return ids.currentPersistenceIds()
        .filter(id -> id.startsWith(prefix))
        .map(id -> id.substring(prefix.length()));
  }

  private <R> CompletionStage<R> ask(String transactionalId,
      org.apache.pekko.japi.function.Function<ActorRef<R>, TransactionCoordinator.Command> command,
      Function<Errors, R> onError) {
    if (transactionalId == null || transactionalId.isEmpty()) {
      return CompletableFuture.completedFuture(onError.apply(Errors.INVALID_REQUEST));
    }
    if (cluster.selfStopping()) {
      return CompletableFuture.completedFuture(onError.apply(Errors.COORDINATOR_NOT_AVAILABLE));
    }
    CompletionStage<R> answer = sharding.entityRefFor(TransactionCoordinator.ENTITY_KEY, transactionalId)
        .ask(command, askTimeout)
        .exceptionallyCompose(failure -> CompletableFuture.failedFuture(Errors.COORDINATOR_NOT_AVAILABLE.exception()));
    return untilCoordinatorMoves(transactionalId, answer)
        .exceptionally(failure -> onError.apply(Errors.forException(Broker.unwrap(failure))));
  }

  private <R> CompletionStage<R> untilCoordinatorMoves(String transactionalId, CompletionStage<R> answer) {
    return CoordinatorMoves.watch(system, "transactional id '" + transactionalId + "'",
        () -> cluster.transactionCoordinator(transactionalId), answer);
  }

  private static PartitionErrors allFailed(List<TopicPartition> partitions, Errors error) {
    Map<TopicPartition, Errors> results = new HashMap<>();
    partitions.forEach(p -> results.put(p, error));
    return new PartitionErrors(error, results);
  }
}
