package dev.runnel.broker;

import dev.runnel.broker.cluster.ClusterView;
import dev.runnel.broker.memory.ReadBudget;
import dev.runnel.broker.memory.ReadMemorySettings;
import dev.runnel.broker.metrics.RunnelMetrics;
import dev.runnel.broker.partition.TailCacheBudget;
import dev.runnel.broker.partition.AppendCondition;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.DeleteRecordsResult;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.KeyReadResult;
import dev.runnel.broker.partition.LocalPartitions;
import dev.runnel.broker.partition.OffsetLookup;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.partition.PartitionStatus;
import dev.runnel.broker.partition.TxnMarkerResult;
import dev.runnel.broker.producer.ProducerIdManager;
import dev.runnel.broker.topic.TopicConfig;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.TopicRegistry;
import dev.runnel.broker.topic.Topics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The log as every protocol door sees it: topics and their partitions, append, fetch and offsets, and the producer
 * ids of idempotent producers. HTTP, the native streaming protocol and the Kafka protocol all go through here, so
 * there is one log with three doors.
 *
 * <p>Topic administration fails its stage with Kafka's {@link ApiException}s; partition operations answer with a
 * Kafka error in their result, as batch requests report errors per partition. Thread-safe.
 */
public final class Broker {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ActorRef<TopicRegistry.Command> registry;
  private final Topics topics;
  private final BrokerSettings settings;
  private final ActorRef<ProducerIdManager.Command> producerIds;
  private final ActorRef<AppendResult> ignoreAppends;
  private final AppendValidation validation;
  private final ReadMemorySettings readMemory;
  private final ReadBudget readBudget;
  private final TailCacheBudget tailCacheBudget;
  private final RunnelMetrics metrics;
  private final ClusterView cluster;
  private final LocalPartitions localPartitions;

  Broker(
      ActorSystem<?> system,
      ClusterSharding sharding,
      ActorRef<TopicRegistry.Command> registry,
      ActorRef<ProducerIdManager.Command> producerIds,
      Topics topics,
      BrokerSettings settings,
      AppendValidation validation,
      TailCacheBudget tailCacheBudget) {
    this.system = system;
    this.tailCacheBudget = tailCacheBudget;
    this.validation = validation;
    this.sharding = sharding;
    this.registry = registry;
    this.producerIds = producerIds;
    this.topics = topics;
    this.settings = settings;
    this.ignoreAppends = system.ignoreRef();
    this.readMemory = ReadMemorySettings.create(system.settings().config());
    this.readBudget = new ReadBudget("runnel.broker.fetch.max-bytes-in-flight", readMemory.maxBytesInFlight());
    this.metrics = RunnelMetrics.get(system);
    this.cluster = ClusterView.get(system);
    this.localPartitions = LocalPartitions.get(system);
  }

  public BrokerSettings settings() {
    return settings;
  }

  /** The bounds of read memory, node-wide and per connection. */
  public ReadMemorySettings readMemory() {
    return readMemory;
  }

  /** The node-wide budget every read's answer is held in until written out; its gauges say how much is held. */
  public ReadBudget readBudget() {
    return readBudget;
  }

  /** The node-wide budget of the partitions' tail caches; its gauges say how much they hold. */
  public TailCacheBudget tailCacheBudget() {
    return tailCacheBudget;
  }

  public ActorSystem<?> system() {
    return system;
  }

  // Topics

  public CompletionStage<TopicMetadata> createTopic(String name, int partitions, Map<String, String> configs) {
    return registryChange(replyTo -> new TopicRegistry.CreateTopic(name, partitions, configs, replyTo))
        .thenApply(topic -> {
          topics.put(topic);
          return topic;
        });
  }

  public CompletionStage<TopicMetadata> deleteTopic(String name) {
    return registryChange(replyTo -> new TopicRegistry.DeleteTopic(name, replyTo)).thenApply(topic -> {
      topics.remove(topic);
      return topic;
    });
  }

  public CompletionStage<TopicMetadata> createPartitions(String name, int totalCount) {
    return registryChange(replyTo -> new TopicRegistry.CreatePartitions(name, totalCount, replyTo))
        .thenApply(topic -> {
          topics.put(topic);
          return topic;
        });
  }

  /** Replaces the configs set on a topic (Kafka's AlterConfigs semantics: keys left out return to defaults). */
  public CompletionStage<TopicMetadata> alterConfigs(String name, Map<String, String> configs) {
    return registryChange(replyTo -> new TopicRegistry.AlterConfigs(name, configs, replyTo)).thenApply(topic -> {
      topics.put(topic);
      return topic;
    });
  }

  /** A topic as this node knows it, without asking anyone. */
  public Optional<TopicMetadata> topic(String name) {
    return topics.get(name);
  }

  /** A topic as this node knows it, by its Kafka topic id (base64), without asking anyone. */
  public Optional<TopicMetadata> topicById(String topicId) {
    return topics.byId(topicId);
  }

  /** All topics this node knows. */
  public Collection<TopicMetadata> topics() {
    return topics.all();
  }

  public TopicConfig topicConfig(String name) {
    return topics.config(name);
  }

  public Map<String, String> topicDefaults() {
    return topics.defaults();
  }

  /**
   * A topic, from this node's view or else from the registry (a topic created on another node a moment ago may
   * not have been replicated here yet).
   */
  public CompletionStage<Optional<TopicMetadata>> lookupTopic(String name) {
    Optional<TopicMetadata> local = topics.get(name);
    if (local.isPresent()) {
      return CompletableFuture.completedFuture(local);
    }
    return AskPattern.<TopicRegistry.Command, TopicRegistry.Reply>ask(
            registry, replyTo -> new TopicRegistry.GetTopic(name, replyTo), settings.askTimeout(), system.scheduler())
        .thenApply(reply -> {
          Optional<TopicMetadata> found = Optional.ofNullable(reply.topic());
          found.ifPresent(topics::put);
          return found;
        });
  }

  /**
   * A topic that is about to be used by a producer or consumer: looked up, and created with the broker's defaults
   * when it does not exist and {@code runnel.broker.auto-create-topics} is on, as Kafka does.
   */
  public CompletionStage<TopicMetadata> topicForUse(String name) {
    return lookupTopic(name).thenCompose(found -> {
      if (found.isPresent()) {
        return CompletableFuture.completedFuture(found.get());
      }
      if (!settings.autoCreateTopics()) {
        return CompletableFuture.failedFuture(
            new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist."));
      }
      return createTopic(name, settings.numPartitions(), Map.of()).exceptionallyCompose(failure -> {
        if (unwrap(failure) instanceof TopicExistsException) {
          return lookupTopic(name).thenApply(Optional::orElseThrow);
        }
        return CompletableFuture.failedFuture(unwrap(failure));
      });
    });
  }

  /**
   * The partition of a known topic.
   *
   * @throws UnknownTopicOrPartitionException when the topic is unknown here or has no such partition
   */
  public PartitionId partition(String topic, int partition) {
    TopicMetadata metadata = topics.get(topic)
        .orElseThrow(() -> new UnknownTopicOrPartitionException("Topic '" + topic + "' does not exist."));
    return partition(metadata, partition);
  }

  public static PartitionId partition(TopicMetadata topic, int partition) {
    if (partition < 0 || partition >= topic.partitions()) {
      throw new UnknownTopicOrPartitionException(
          "Topic '" + topic.name() + "' has no partition " + partition + " (it has " + topic.partitions() + ")");
    }
    return PartitionId.of(topic, partition);
  }

  /** Every partition of a topic. */
  public static List<PartitionId> partitions(TopicMetadata topic) {
    List<PartitionId> ids = new ArrayList<>(topic.partitions());
    for (int p = 0; p < topic.partitions(); p++) {
      ids.add(PartitionId.of(topic, p));
    }
    return ids;
  }

  // Partitions

  /**
   * Appends record batches to a partition. Every append is first checked by {@link AppendValidation} (each batch
   * and record, as Kafka's LogValidator does): one it refuses is answered with Kafka's error and never reaches the
   * partition. Appends to a partition reach it in the order of these calls. With {@code acks = 0} the stage
   * completes at once, before the check and the write, as Kafka's producer expects no answer then; with 1 or -1
   * (all) it completes once the journal holds the data (one replica: "all" in-sync replicas is this one).
   */
  public CompletionStage<AppendResult> append(PartitionId partition, ByteBuffer records, short acks) {
    return append(partition, records, acks, partitionTimeout());
  }

  /**
   * {@link #append(PartitionId, ByteBuffer, short)} answered {@code REQUEST_TIMED_OUT} after {@code timeout} (at
   * most the partition request timeout) if the partition has not answered by then; the append may still be stored.
   */
  public CompletionStage<AppendResult> append(PartitionId partition, ByteBuffer records, short acks, Duration timeout) {
    return append(partition, records, acks, timeout, null);
  }

  /**
   * Appends record batches only if {@code condition} holds (acks all): the partition decides it atomically with its
   * group commit, and a conflict is answered {@link AppendResult#isConflict()} with nothing stored.
   */
  public CompletionStage<AppendResult> append(PartitionId partition, ByteBuffer records, AppendCondition condition) {
    return append(partition, records, (short) -1, partitionTimeout(), condition);
  }

  private CompletionStage<AppendResult> append(PartitionId partition, ByteBuffer records, short acks, Duration timeout,
      AppendCondition condition) {
    EntityRef<Partition.Command> entity = entity(partition);
    TopicConfig config = topics.config(partition.topic());
    if (acks == 0) {
      if (cluster.selfStopping()) {
        // Nobody waits for an answer; Kafka drops it too once its request handlers have stopped.
        return CompletableFuture.completedFuture(AppendResult.stored(-1, -1));
      }
      validation.append(partition, records, config, valid -> {
        metrics.recordsIn(partition, valid).stored();
        entity.tell(new Partition.Append(valid, ignoreAppends));
        return CompletableFuture.completedFuture(AppendResult.stored(-1, -1));
      });
      return CompletableFuture.completedFuture(AppendResult.stored(-1, -1));
    }
    String unavailable = unavailable(partition);
    if (unavailable != null) {
      return CompletableFuture.completedFuture(AppendResult.refused(Errors.NOT_LEADER_OR_FOLLOWER, unavailable));
    }
    Duration wait = timeout.compareTo(partitionTimeout()) < 0 ? timeout : partitionTimeout();
    return validation.append(partition, records, config, valid -> {
          RunnelMetrics.Inbound inbound = metrics.recordsIn(partition, valid);
          return crossNode(partition, DirectAsk.<Partition.Command, AppendResult>ask(
                      entity, replyTo -> new Partition.Append(valid, condition, replyTo), wait),
                  () -> AppendResult.refused(Errors.NOT_LEADER_OR_FOLLOWER, onLost(partition)))
              .thenApply(result -> {
                if (result.isStored()) {
                  inbound.stored();
                }
                return result;
              });
        })
        .exceptionally(failure -> AppendResult.refused(Errors.REQUEST_TIMED_OUT,
            "Partition " + partition + " did not answer in " + wait));
  }

  /**
   * Reads whole batches from {@code offset}; at the log end waits up to {@code maxWait} for data. A partition that
   * has not answered by {@code maxWait} plus the partition request timeout is {@code REQUEST_TIMED_OUT}.
   */
  public CompletionStage<FetchResult> fetch(PartitionId partition, long offset, int maxBytes, Duration maxWait) {
    return fetch(partition, offset, maxBytes, maxWait, IsolationLevel.READ_UNCOMMITTED);
  }

  /**
   * {@link #fetch(PartitionId, long, int, Duration)} at an isolation level: READ_COMMITTED reads below the last
   * stable offset only, waits there for it to move, and is told the aborted transactions of the range read.
   */
  public CompletionStage<FetchResult> fetch(
      PartitionId partition, long offset, int maxBytes, Duration maxWait, IsolationLevel isolation) {
    if (unavailable(partition) != null) {
      return CompletableFuture.completedFuture(FetchResult.error(Errors.NOT_LEADER_OR_FOLLOWER, -1, -1));
    }
    Duration timeout = partitionTimeout().plus(maxWait);
    return crossNode(partition,
            ask(partition, (ActorRef<FetchResult> replyTo) ->
                new Partition.Fetch(offset, maxBytes, maxWait, isolation, replyTo), timeout),
            () -> FetchResult.error(Errors.NOT_LEADER_OR_FOLLOWER, -1, -1))
        .exceptionally(failure -> FetchResult.error(Errors.REQUEST_TIMED_OUT, -1, -1));
  }

  /**
   * Reads one key's records from {@code fromOffset} through the partition's key index (see
   * {@link dev.runnel.broker.partition.KeyReader}); a page at a time: continue from the answer's next offset until it
   * says end of key.
   */
  public CompletionStage<KeyReadResult> readKey(PartitionId partition, byte[] key, long fromOffset) {
    String unavailable = unavailable(partition);
    if (unavailable != null) {
      return CompletableFuture.completedFuture(KeyReadResult.error(Errors.NOT_LEADER_OR_FOLLOWER, unavailable));
    }
    return crossNode(partition,
            ask(partition, (ActorRef<KeyReadResult> replyTo) -> new Partition.ReadKey(key, fromOffset, replyTo),
                partitionTimeout()),
            () -> KeyReadResult.error(Errors.NOT_LEADER_OR_FOLLOWER, onLost(partition)))
        .exceptionally(failure -> KeyReadResult.error(Errors.REQUEST_TIMED_OUT,
            "Partition " + partition + " did not answer in " + partitionTimeout()));
  }

  /** Kafka's ListOffsets for one partition: earliest (-2), latest (-1) or the first offset at a timestamp. */
  public CompletionStage<OffsetLookup> listOffsets(PartitionId partition, long timestamp) {
    return listOffsets(partition, timestamp, IsolationLevel.READ_UNCOMMITTED);
  }

  /** {@link #listOffsets(PartitionId, long)} where latest is the last stable offset for READ_COMMITTED. */
  public CompletionStage<OffsetLookup> listOffsets(PartitionId partition, long timestamp, IsolationLevel isolation) {
    if (unavailable(partition) != null) {
      return CompletableFuture.completedFuture(OffsetLookup.error(Errors.NOT_LEADER_OR_FOLLOWER));
    }
    return crossNode(partition,
            ask(partition, (ActorRef<OffsetLookup> replyTo) ->
                new Partition.ListOffsets(timestamp, isolation, replyTo), partitionTimeout()),
            () -> OffsetLookup.error(Errors.NOT_LEADER_OR_FOLLOWER))
        .exceptionally(failure -> OffsetLookup.error(Errors.REQUEST_TIMED_OUT));
  }

  /**
   * Kafka's WriteTxnMarkers for one partition: ends the producer's transaction there with a COMMIT or ABORT
   * marker. Answered {@code REQUEST_TIMED_OUT} (retriable) if the partition does not answer in time.
   */
  public CompletionStage<TxnMarkerResult> writeTxnMarker(
      PartitionId partition, long producerId, short producerEpoch, int coordinatorEpoch, boolean commit) {
    return entity(partition)
        .<TxnMarkerResult>ask(replyTo -> new Partition.WriteTxnMarker(
            producerId, producerEpoch, coordinatorEpoch, commit, replyTo), partitionTimeout())
        .exceptionally(failure -> new TxnMarkerResult(Errors.REQUEST_TIMED_OUT));
  }

  /**
   * Kafka's DeleteRecords for one partition: moves its log start offset to {@code offset} ({@code -1}: the high
   * watermark); the journal events wholly below it are deleted in the background. Answers the new log start.
   */
  public CompletionStage<DeleteRecordsResult> deleteRecords(PartitionId partition, long offset) {
    return entity(partition)
        .<DeleteRecordsResult>ask(replyTo -> new Partition.DeleteRecords(offset, replyTo), partitionTimeout())
        .exceptionally(failure -> DeleteRecordsResult.error(Errors.REQUEST_TIMED_OUT));
  }

  /** The partition's log start, log end and the bytes of record batches it holds. */
  public CompletionStage<PartitionStatus> status(PartitionId partition) {
    String unavailable = unavailable(partition);
    if (unavailable != null) {
      return CompletableFuture.failedFuture(new org.apache.kafka.common.errors.NotLeaderOrFollowerException(unavailable));
    }
    return entity(partition).ask(Partition.GetStatus::new, partitionTimeout());
  }

  /** How long a request waits for one partition: {@code runnel.broker.partition.request-timeout}. */
  public Duration partitionTimeout() {
    return settings.partition().requestTimeout();
  }

  // Producers

  /**
   * A producer id never handed out before, for an idempotent producer (its epoch starts at 0). Fails with Kafka's
   * {@code CoordinatorNotAvailableException} when the cluster's allocator does not answer in time.
   */
  public CompletionStage<Long> allocateProducerId() {
    return AskPattern.<ProducerIdManager.Command, Long>ask(
            producerIds, ProducerIdManager.AllocateProducerId::new, settings.askTimeout(), system.scheduler())
        .handle((id, failure) -> {
          if (failure != null) {
            throw new CompletionException(new org.apache.kafka.common.errors.CoordinatorNotAvailableException(
                "The producer id allocator did not answer in " + settings.askTimeout()));
          }
          return id;
        });
  }

  /**
   * {@code ask} to this partition, answered {@code lost} at once if the partition runs on another node and a member
   * is lost before it answers ({@link ClusterView#unlessMemberLost}): the request may have died with that node.
   */
  private <T> CompletionStage<T> crossNode(PartitionId partition, CompletionStage<T> ask, Supplier<T> lost) {
    return localPartitions.hosts(partition) ? ask : cluster.unlessMemberLost(ask, lost);
  }

  private static String onLost(PartitionId partition) {
    return "A node of the cluster was lost while partition " + partition + " was being asked; the partition is"
        + " served again on a live node within seconds";
  }

  /**
   * Why a request to this partition is answered NOT_LEADER_OR_FOLLOWER at once instead of being sent, or null: this
   * node is stopping (clients find the partition's next host in the metadata, or this node once it is back), or
   * the partition is on an unreachable member.
   */
  private String unavailable(PartitionId partition) {
    if (cluster.selfStopping()) {
      return "This node is stopping; partition " + partition + " is served again on its next host";
    }
    return cluster.partitionOnUnreachableMember(partition) ? onUnreachable(partition) : null;
  }

  private static String onUnreachable(PartitionId partition) {
    return "Partition " + partition + " is on a node that is unreachable; it moves to a live node once that node is"
        + " removed from the cluster (seconds)";
  }

  private EntityRef<Partition.Command> entity(PartitionId partition) {
    return sharding.entityRefFor(Partition.ENTITY_KEY, partition.entityId());
  }

  /** Asks a partition entity; the stage completes on the replying thread ({@link DirectAsk}). */
  private <R> CompletableFuture<R> ask(
      PartitionId partition, Function<ActorRef<R>, Partition.Command> command, Duration timeout) {
    return DirectAsk.ask(entity(partition), command, timeout);
  }

  private CompletionStage<TopicMetadata> registryChange(
      org.apache.pekko.japi.function.Function<ActorRef<TopicRegistry.Reply>, TopicRegistry.Command> command) {
    return AskPattern.ask(registry, command::apply, settings.askTimeout(), system.scheduler())
        .handle((reply, failure) -> {
          if (failure != null) {
            throw new CompletionException(unwrap(failure) instanceof TimeoutException
                ? new org.apache.kafka.common.errors.TimeoutException("The topic registry did not answer in " + settings.askTimeout())
                : unwrap(failure));
          }
          if (reply.error() != Errors.NONE) {
            throw new CompletionException(reply.error().exception(reply.message()));
          }
          return reply.topic();
        });
  }

  /** The cause behind the wrappers a completion stage puts around a failure. */
  public static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof java.util.concurrent.ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
