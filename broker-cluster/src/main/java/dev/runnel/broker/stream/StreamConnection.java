package dev.runnel.broker.stream;

import dev.runnel.broker.Broker;
import dev.runnel.broker.group.CommittedOffset;
import dev.runnel.broker.group.GroupMachine;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.group.HeartbeatRequest;
import dev.runnel.broker.group.JoinRequest;
import dev.runnel.broker.group.LeaveRequest;
import dev.runnel.broker.group.LeaveResult;
import dev.runnel.broker.group.OffsetCommitRequest;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.group.TxnOffsetCommitRequest;
import dev.runnel.broker.partition.AppendCondition;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.KeyReadResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.transaction.Transactions;
import dev.runnel.client.internal.Protocol;
import dev.runnel.client.internal.Protocol.Message;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.MergeHub;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's WebSocket connection to {@code /stream}: decodes each frame, answers Metadata, InitProducerId,
 * Produce, the group requests (through {@link Groups}) and the transaction requests (through
 * {@link Transactions}, the coordinators the Kafka door uses too), and runs a {@link PartitionSubscription} per
 * Subscribe. Answers and every subscription's frames meet in a {@link MergeHub} in front of the socket, so a slow
 * reader backpressures them all.
 *
 * <p>Produce requests are appended in the order they arrive (each is handed to its partition before the next
 * frame is read) and answered in that order. A malformed frame is answered with an Error frame
 * ({@code INVALID_REQUEST}) and logged; the connection goes on. When the connection ends, its subscriptions stop
 * and the group members that joined through it leave their groups.
 */
final class StreamConnection {

  private static final Logger log = LoggerFactory.getLogger(StreamConnection.class);
  /** Requests handled at once on a connection; more wait in the socket (backpressure). */
  private static final int MAX_IN_FLIGHT_REQUESTS = 64;
  /** Frames each subscription may have waiting in front of the socket beyond the one being read. */
  private static final int FRAMES_QUEUED_PER_SUBSCRIPTION = 2;
  private static final Duration STRICT_TIMEOUT = Duration.ofSeconds(30);
  /** Upper bound of a subscriber's long poll, whatever it asks. */
  private static final Duration MAX_WAIT_LIMIT = Duration.ofSeconds(30);
  /**
   * How long a subscription's start (earliest or latest) is looked up again while its partition answers a
   * retriable error, as one moving to another node after its node died does; then the subscription is refused.
   */
  private static final Duration START_LOOKUP_DEADLINE = Duration.ofSeconds(30);
  private static final Duration START_LOOKUP_RETRY = Duration.ofMillis(200);

  private final Broker broker;
  private final Groups groups;
  private final Transactions transactions;
  private final long maxMessageBytes;
  private final StreamRegistry registry;
  private final long id;
  private final Materializer materializer;
  private final SharedKillSwitch killSwitch;
  private final Map<Integer, PartitionSubscription> subscriptions = new ConcurrentHashMap<>();
  /** Group members that joined through this connection (member id → group id), made to leave when it closes. */
  private final Map<String, String> members = new ConcurrentHashMap<>();
  private Sink<Outgoing, NotUsed> toClient;

  StreamConnection(Broker broker, Groups groups, Transactions transactions, StreamRegistry registry, long id,
      long maxMessageBytes, Materializer materializer) {
    this.broker = broker;
    this.groups = groups;
    this.transactions = transactions;
    this.maxMessageBytes = maxMessageBytes;
    this.registry = registry;
    this.id = id;
    this.materializer = materializer;
    this.killSwitch = KillSwitches.shared("stream-connection-" + id);
  }

  Flow<org.apache.pekko.http.javadsl.model.ws.Message, org.apache.pekko.http.javadsl.model.ws.Message, NotUsed>
      flow() {
    Pair<Sink<Outgoing, NotUsed>, Source<Outgoing, NotUsed>> hub =
        MergeHub.of(Outgoing.class, FRAMES_QUEUED_PER_SUBSCRIPTION).preMaterialize(materializer);
    toClient = hub.first();
    Sink<org.apache.pekko.http.javadsl.model.ws.Message, NotUsed> fromClient =
        Flow.<org.apache.pekko.http.javadsl.model.ws.Message>create()
            .mapAsync(1, this::strict)
            .mapAsync(MAX_IN_FLIGHT_REQUESTS, this::handle)
            .mapConcat(answers -> answers)
            .to(toClient);
    Source<org.apache.pekko.http.javadsl.model.ws.Message, NotUsed> out = hub.second().map(outgoing -> {
      if (outgoing.records() != null) {
        outgoing.records().written(outgoing.bytes().size());
      }
      return BinaryMessage.create(outgoing.bytes());
    });
    log.debug("stream connection {}: open", id);
    return Flow.fromSinkAndSourceCoupled(fromClient, out).watchTermination((notUsed, done) -> {
      done.whenComplete((ok, failure) -> closed(failure));
      return NotUsed.getInstance();
    });
  }

  private void closed(Throwable failure) {
    killSwitch.shutdown();
    for (PartitionSubscription subscription : subscriptions.values()) {
      subscription.cancel();
      registry.remove(subscription.stats());
    }
    subscriptions.clear();
    // A member's connection is its liveness: its partitions move now rather than after its session timeout.
    members.forEach((memberId, groupId) -> groups.leave(groupId,
        new LeaveRequest(List.of(new LeaveRequest.Leaving(memberId, null)))));
    members.clear();
    if (failure != null) {
      log.info("stream connection {}: closed by {}", id, failure.toString());
    } else {
      log.debug("stream connection {}: closed", id);
    }
  }

  /** The frame's bytes; empty for a text frame. */
  private CompletionStage<Optional<ByteString>> strict(org.apache.pekko.http.javadsl.model.ws.Message message) {
    if (message.isText()) {
      message.asTextMessage().getStreamedText().runWith(Sink.ignore(), materializer);
      return CompletableFuture.completedFuture(Optional.empty());
    }
    // A message is read whole before it is decoded, so its size is bounded: beyond the limit the connection
    // fails (and closes), as a Kafka frame over socket.request.max.bytes does.
    return message.asBinaryMessage().getStreamedData()
        .limitWeighted(maxMessageBytes, bytes -> (long) bytes.size())
        .completionTimeout(STRICT_TIMEOUT)
        .runFold(ByteString.emptyByteString(), ByteString::concat, materializer)
        .<Optional<ByteString>>thenApply(Optional::of)
        .whenComplete((bytes, failure) -> {
          if (failure != null) {
            log.warn("stream connection {}: closing, a message could not be read whole within {} bytes and {}: {}",
                id, maxMessageBytes, STRICT_TIMEOUT, failure.toString());
          }
        });
  }

  private CompletionStage<List<Outgoing>> handle(Optional<ByteString> binary) {
    if (binary.isEmpty()) {
      log.warn("stream connection {}: text frame refused", id);
      return answer(refuse(Protocol.NO_REF, Errors.INVALID_REQUEST, "text frames are not part of the protocol"));
    }
    ByteString frame = binary.get();
    Message message;
    try {
      message = Protocol.decode(frame);
    } catch (Protocol.MalformedFrameException e) {
      log.warn("stream connection {}: malformed frame of {} bytes: {}", id, frame.size(), e.getMessage());
      return answer(refuse(Protocol.NO_REF, Errors.INVALID_REQUEST, "malformed frame: " + e.getMessage()));
    }
    if (message instanceof Protocol.Produce produce) {
      return produce(produce);
    } else if (message instanceof Protocol.ConditionalProduce produce) {
      return conditionalProduce(produce);
    } else if (message instanceof Protocol.ReadKey read) {
      return readKey(read);
    } else if (message instanceof Protocol.Credit credit) {
      return credit(credit);
    } else if (message instanceof Protocol.Subscribe subscribe) {
      return subscribe(subscribe);
    } else if (message instanceof Protocol.Metadata metadata) {
      return metadata(metadata);
    } else if (message instanceof Protocol.InitProducerId init) {
      return initProducerId(init);
    } else if (message instanceof Protocol.InitTransactions init) {
      return initTransactions(init);
    } else if (message instanceof Protocol.AddPartitionsToTxn add) {
      return addPartitionsToTxn(add);
    } else if (message instanceof Protocol.TxnOffsetCommit commit) {
      return txnOffsetCommit(commit);
    } else if (message instanceof Protocol.EndTxn end) {
      return endTxn(end);
    } else if (isGroupRequest(message)) {
      // Group answers go out when ready, not in request order: a JoinGroup waits for the whole rebalance, and the
      // connection's other requests must not wait behind it. Correlation ids pair them with their requests.
      groupRequest(message).whenComplete((answer, failure) -> {
        Message reply = failure == null ? answer : groupFailure(message, apiException(failure));
        Source.single(Outgoing.answer(Protocol.encode(reply))).runWith(toClient, materializer);
      });
      return answer();
    } else if (message instanceof Protocol.Cancel cancel) {
      PartitionSubscription subscription = subscriptions.remove(cancel.subscriptionId());
      if (subscription != null) {
        subscription.cancel();
        registry.remove(subscription.stats());
      }
      return answer();
    }
    log.warn("stream connection {}: a client may not send {}", id, message.getClass().getSimpleName());
    return answer(refuse(Protocol.NO_REF, Errors.INVALID_REQUEST,
        message.getClass().getSimpleName() + " is sent by brokers, not clients"));
  }

  private static boolean isGroupRequest(Message message) {
    return message instanceof Protocol.JoinGroup || message instanceof Protocol.Heartbeat
        || message instanceof Protocol.LeaveGroup || message instanceof Protocol.OffsetCommit
        || message instanceof Protocol.OffsetFetch;
  }

  private CompletionStage<Message> groupRequest(Message message) {
    if (message instanceof Protocol.JoinGroup join) {
      return joinGroup(join);
    } else if (message instanceof Protocol.Heartbeat heartbeat) {
      return groups.heartbeat(heartbeat.groupId(),
              new HeartbeatRequest(heartbeat.memberId(), null, heartbeat.generationId()))
          .thenApply(error -> groupResult(heartbeat.correlationId(), error));
    } else if (message instanceof Protocol.LeaveGroup leave) {
      members.remove(leave.memberId());
      return groups.leave(leave.groupId(), new LeaveRequest(List.of(new LeaveRequest.Leaving(leave.memberId(), null))))
          .thenApply(result -> groupResult(leave.correlationId(), result.error() != Errors.NONE ? result.error()
              : result.members().stream().map(LeaveResult.Left::error).filter(e -> e != Errors.NONE).findFirst()
                  .orElse(Errors.NONE)));
    } else if (message instanceof Protocol.OffsetCommit commit) {
      Map<TopicPartition, OffsetCommitRequest.Offset> offsets = new HashMap<>();
      for (Protocol.PartitionOffset offset : commit.offsets()) {
        offsets.put(new TopicPartition(offset.topic(), offset.partition()),
            new OffsetCommitRequest.Offset(offset.offset(), -1, ""));
      }
      return groups.commitOffsets(commit.groupId(),
              new OffsetCommitRequest(commit.memberId(), null, commit.generationId(), offsets))
          .thenApply(result -> groupResult(commit.correlationId(), result.error() != Errors.NONE ? result.error()
              : result.partitions().values().stream().filter(e -> e != Errors.NONE).findFirst()
                  .orElse(Errors.NONE)));
    }
    Protocol.OffsetFetch fetch = (Protocol.OffsetFetch) message;
    List<TopicPartition> partitions = fetch.partitions().stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    return groups.fetchOffsets(fetch.groupId(), partitions).thenApply(result -> {
      if (result.error() == Errors.NONE && !result.unstable().isEmpty()) {
        // KIP-447's require_stable, which native consumers always ask for: an offset an open transaction holds may
        // be about to move, and a consumer starting before it would read again what that transaction consumed.
        return new Protocol.OffsetFetchResult(fetch.correlationId(), Errors.UNSTABLE_OFFSET_COMMIT.code(), List.of(),
            "a transaction holds offsets of " + result.unstable());
      }
      List<Protocol.PartitionOffset> offsets = new ArrayList<>();
      for (TopicPartition partition : partitions) {
        CommittedOffset committed = result.offsets().get(partition);
        offsets.add(new Protocol.PartitionOffset(partition.topic(), partition.partition(),
            committed == null ? -1L : committed.offset()));
      }
      return new Protocol.OffsetFetchResult(fetch.correlationId(), result.error().code(),
          result.error() == Errors.NONE ? offsets : List.of(), messageOf(result.error()));
    });
  }

  private CompletionStage<Message> joinGroup(Protocol.JoinGroup join) {
    List<TopicPartition> owned = join.owned().stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    ByteBuffer subscription = ConsumerProtocol.serializeSubscription(
        new ConsumerPartitionAssignor.Subscription(join.topics(), null, owned, join.generationId(), Optional.empty()));
    byte[] metadata = new byte[subscription.remaining()];
    subscription.get(metadata);
    // The coordinator assigns native members itself, so a new member needs no MEMBER_ID_REQUIRED round (KIP-394
    // exists for leaders that would otherwise assign to members that never come back).
    JoinRequest request = new JoinRequest(join.memberId(), null, "runnel-native", "", join.sessionTimeoutMs(),
        join.rebalanceTimeoutMs(), GroupMachine.NATIVE_PROTOCOL_TYPE,
        List.of(new dev.runnel.broker.group.Protocol(join.strategy(), metadata)), false);
    return groups.join(join.groupId(), request).thenApply(result -> {
      if (result.error() != Errors.NONE) {
        return new Protocol.JoinResult(join.correlationId(), result.error().code(), -1,
            result.memberId() == null ? join.memberId() : result.memberId(), List.of(), messageOf(result.error()));
      }
      members.put(result.memberId(), join.groupId());
      List<Protocol.TopicPartition> assigned = new ArrayList<>();
      if (result.assignment().length > 0) {
        for (TopicPartition partition
            : ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(result.assignment())).partitions()) {
          assigned.add(new Protocol.TopicPartition(partition.topic(), partition.partition()));
        }
      }
      return new Protocol.JoinResult(join.correlationId(), Errors.NONE.code(), result.generationId(),
          result.memberId(), assigned, "");
    });
  }

  private static Protocol.GroupResult groupResult(int correlationId, Errors error) {
    return new Protocol.GroupResult(correlationId, error.code(), messageOf(error));
  }

  private static String messageOf(Errors error) {
    return error == Errors.NONE ? "" : error.message();
  }

  private static Message groupFailure(Message request, ApiException failure) {
    short code = Errors.forException(failure).code();
    String message = failure.getMessage() == null ? "" : failure.getMessage();
    if (request instanceof Protocol.JoinGroup join) {
      return new Protocol.JoinResult(join.correlationId(), code, -1, join.memberId(), List.of(), message);
    } else if (request instanceof Protocol.OffsetFetch fetch) {
      return new Protocol.OffsetFetchResult(fetch.correlationId(), code, List.of(), message);
    } else if (request instanceof Protocol.Heartbeat heartbeat) {
      return new Protocol.GroupResult(heartbeat.correlationId(), code, message);
    } else if (request instanceof Protocol.LeaveGroup leave) {
      return new Protocol.GroupResult(leave.correlationId(), code, message);
    }
    return new Protocol.GroupResult(((Protocol.OffsetCommit) request).correlationId(), code, message);
  }

  private CompletionStage<List<Outgoing>> metadata(Protocol.Metadata request) {
    return broker.topicForUse(request.topic()).handle((topic, failure) -> {
      Protocol.MetadataResult result = failure == null
          ? new Protocol.MetadataResult(request.correlationId(), Errors.NONE.code(), topic.partitions(), "")
          : new Protocol.MetadataResult(request.correlationId(), Errors.forException(Broker.unwrap(failure)).code(),
              0, Broker.unwrap(failure).getMessage());
      return List.of(Outgoing.answer(Protocol.encode(result)));
    });
  }

  private CompletionStage<List<Outgoing>> initProducerId(Protocol.InitProducerId request) {
    return broker.allocateProducerId().handle((producerId, failure) -> {
      Protocol.ProducerIdResult result = failure == null
          ? new Protocol.ProducerIdResult(request.correlationId(), Errors.NONE.code(), producerId, (short) 0)
          : new Protocol.ProducerIdResult(request.correlationId(), Errors.forException(apiException(failure)).code(),
              RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
      if (failure != null) {
        log.warn("stream connection {}: no producer id: {}", id, Broker.unwrap(failure).getMessage());
      }
      return List.of(Outgoing.answer(Protocol.encode(result)));
    });
  }

  private CompletionStage<List<Outgoing>> initTransactions(Protocol.InitTransactions request) {
    return transactions.initProducerId(request.transactionalId(), request.transactionTimeoutMs(),
            RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH)
        .thenApply(result -> List.of(Outgoing.answer(Protocol.encode(new Protocol.ProducerIdResult(
            request.correlationId(), result.error().code(), result.producerId(), result.producerEpoch())))));
  }

  private CompletionStage<List<Outgoing>> addPartitionsToTxn(Protocol.AddPartitionsToTxn request) {
    if (request.partitions().isEmpty()) {
      return answer(txnResult(request.correlationId(), Errors.INVALID_REQUEST, "no partitions to add"));
    }
    List<TopicPartition> partitions = request.partitions().stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    return transactions.addPartitions(request.transactionalId(), request.producerId(), request.producerEpoch(),
            partitions, false)
        .thenApply(result -> List.of(txnResult(request.correlationId(), firstError(result), "")));
  }

  private CompletionStage<List<Outgoing>> txnOffsetCommit(Protocol.TxnOffsetCommit request) {
    if (request.offsets().isEmpty() || request.groupId().isEmpty()) {
      return answer(txnResult(request.correlationId(), Errors.INVALID_REQUEST, "a group and offsets are needed"));
    }
    Map<TopicPartition, OffsetCommitRequest.Offset> offsets = new HashMap<>();
    for (Protocol.PartitionOffset offset : request.offsets()) {
      offsets.put(new TopicPartition(offset.topic(), offset.partition()),
          new OffsetCommitRequest.Offset(offset.offset(), -1, ""));
    }
    TxnOffsetCommitRequest commit = new TxnOffsetCommitRequest(request.producerId(), request.producerEpoch(),
        request.memberId(), null, request.generationId(), offsets);
    return transactions.commitOffsets(request.transactionalId(), request.groupId(), commit)
        .thenApply(result -> List.of(txnResult(request.correlationId(), firstError(result), "")));
  }

  private CompletionStage<List<Outgoing>> endTxn(Protocol.EndTxn request) {
    return transactions.endTxn(request.transactionalId(), request.producerId(), request.producerEpoch(),
            request.commit())
        .thenApply(error -> List.of(txnResult(request.correlationId(), error, "")));
  }

  /** The request's error, else the first partition's, NONE when every partition went well. */
  private static Errors firstError(PartitionErrors result) {
    return result.error() != Errors.NONE ? result.error()
        : result.partitions().values().stream().filter(e -> e != Errors.NONE).findFirst().orElse(Errors.NONE);
  }

  private static Outgoing txnResult(int correlationId, Errors error, String message) {
    return Outgoing.answer(Protocol.encode(new Protocol.TxnResult(correlationId, error.code(),
        message.isEmpty() ? messageOf(error) : message)));
  }

  private CompletionStage<List<Outgoing>> produce(Protocol.Produce request) {
    if (request.acks() != 0 && request.acks() != 1 && request.acks() != -1) {
      return answer(ack(request, AppendResult.refused(Errors.INVALID_REQUIRED_ACKS, "acks must be 0, 1 or -1")));
    }
    // A copy the partition may own: it writes the base offset into the batch headers.
    ByteBuffer batches = ByteBuffer.wrap(request.batches().toArray());
    return broker.topicForUse(request.topic())
        .thenCompose(topic -> broker.append(Broker.partition(topic, request.partition()), batches, request.acks()))
        .exceptionally(failure -> AppendResult.refused(apiException(failure)))
        .thenApply(result -> List.of(ack(request, result)));
  }

  private static Outgoing ack(Protocol.Produce request, AppendResult result) {
    return Outgoing.answer(Protocol.encode(new Protocol.ProduceAck(request.correlationId(), result.error().code(),
        result.baseOffset(), result.errorMessage() == null ? "" : result.errorMessage())));
  }

  /** A conditional append, answered in request order like a Produce. */
  private CompletionStage<List<Outgoing>> conditionalProduce(Protocol.ConditionalProduce request) {
    AppendCondition condition;
    try {
      condition = new AppendCondition(request.expectedEndOffset(),
          request.key() == null ? null : request.key().toArray(), request.expectedKeyOffset(),
          request.expectedVersion());
    } catch (IllegalArgumentException e) {
      return answer(conditionalAck(request, AppendResult.refused(Errors.INVALID_REQUEST, e.getMessage())));
    }
    ByteBuffer batches = ByteBuffer.wrap(request.batches().toArray());
    return broker.topicForUse(request.topic())
        .thenCompose(topic -> broker.append(Broker.partition(topic, request.partition()), batches, condition))
        .exceptionally(failure -> AppendResult.refused(apiException(failure)))
        .thenApply(result -> List.of(conditionalAck(request, result)));
  }

  private static Outgoing conditionalAck(Protocol.ConditionalProduce request, AppendResult result) {
    Protocol.ConditionalAck ack = result.isConflict()
        ? new Protocol.ConditionalAck(request.correlationId(), Protocol.CONDITION_NOT_MET, -1,
            result.conflict().currentEndOffset(), result.conflict().currentKeyOffset(),
            result.conflict().currentVersion(), result.errorMessage())
        : new Protocol.ConditionalAck(request.correlationId(), result.error().code(), result.baseOffset(),
            Protocol.ANY, Protocol.ANY, Protocol.ANY, result.errorMessage() == null ? "" : result.errorMessage());
    return Outgoing.answer(Protocol.encode(ack));
  }

  private CompletionStage<List<Outgoing>> readKey(Protocol.ReadKey request) {
    if (request.key() == null) {
      return answer(keyRecords(request, KeyReadResult.error(Errors.INVALID_REQUEST, "a key read needs a key")));
    }
    return broker.lookupTopic(request.topic())
        .thenCompose(topic -> broker.readKey(Broker.partition(topic.orElseThrow(() ->
            new org.apache.kafka.common.errors.UnknownTopicOrPartitionException(
                "Topic '" + request.topic() + "' does not exist.")), request.partition()),
            request.key().toArray(), Math.max(0, request.fromOffset())))
        .exceptionally(failure -> {
          ApiException cause = apiException(failure);
          return KeyReadResult.error(Errors.forException(cause), cause.getMessage());
        })
        .thenApply(result -> List.of(keyRecords(request, result)));
  }

  private static Outgoing keyRecords(Protocol.ReadKey request, KeyReadResult result) {
    return Outgoing.answer(Protocol.encode(new Protocol.KeyRecords(request.correlationId(), result.error().code(),
        result.nextOffset(), result.endOfKey(), result.version(), result.message() == null ? "" : result.message(),
        ByteString.fromByteBuffer(result.records()))));
  }

  private CompletionStage<List<Outgoing>> credit(Protocol.Credit credit) {
    if (credit.frames() <= 0) {
      return answer(refuse(credit.subscriptionId(), Errors.INVALID_REQUEST, "credit must be positive"));
    }
    PartitionSubscription subscription = subscriptions.get(credit.subscriptionId());
    if (subscription != null) {
      subscription.grant(credit.frames());
    }
    return answer();
  }

  private CompletionStage<List<Outgoing>> subscribe(Protocol.Subscribe request) {
    int id = request.subscriptionId();
    if (request.maxFrameBytes() <= 0 || request.maxWaitMs() < 0) {
      return answer(refuse(id, Errors.INVALID_REQUEST, "max frame bytes must be positive, max wait not negative"));
    }
    if (request.offset() < 0 && request.offset() != Protocol.EARLIEST && request.offset() != Protocol.LATEST) {
      return answer(refuse(id, Errors.OFFSET_OUT_OF_RANGE, "offset " + request.offset() + " is not an offset"));
    }
    Duration maxWait = Duration.ofMillis(request.maxWaitMs());
    SubscriptionStats stats = new SubscriptionStats(this.id, id, request.topic(), request.partition());
    PartitionSubscription subscription = new PartitionSubscription(broker, stats, request.maxFrameBytes(),
        maxWait.compareTo(MAX_WAIT_LIMIT) > 0 ? MAX_WAIT_LIMIT : maxWait,
        IsolationLevel.forId(request.isolationLevel()));
    if (subscriptions.putIfAbsent(id, subscription) != null) {
      return answer(refuse(id, Errors.INVALID_REQUEST, "subscription " + id + " is already open"));
    }
    registry.add(stats);
    return broker.topicForUse(request.topic())
        .thenCompose(topic -> start(request, Broker.partition(topic, request.partition()), subscription))
        .exceptionally(failure -> {
          subscriptions.remove(id, subscription);
          registry.remove(stats);
          ApiException cause = apiException(failure);
          return List.of(refuse(id, Errors.forException(cause), cause.getMessage()));
        });
  }

  private CompletionStage<List<Outgoing>> start(Protocol.Subscribe request, PartitionId partition,
      PartitionSubscription subscription) {
    CompletionStage<Long> start = request.offset() >= 0
        ? CompletableFuture.completedFuture(request.offset())
        : startOffset(partition, request.offset(), System.nanoTime() + START_LOOKUP_DEADLINE.toNanos(), subscription);
    return start.thenApply(offset -> {
      if (!subscription.isCancelled()) {
        log.debug("stream connection {}: subscription {} on {} from offset {}", id, request.subscriptionId(),
            partition, offset);
        subscription.source(partition, offset).via(killSwitch.flow()).runWith(toClient, materializer);
      }
      return List.of();
    });
  }

  /** The earliest or latest offset of {@code partition}, looked up again on retriable errors until the deadline. */
  private CompletionStage<Long> startOffset(PartitionId partition, long which, long deadlineNanos,
      PartitionSubscription subscription) {
    return broker.listOffsets(partition, which).thenCompose(lookup -> {
      if (lookup.error() == Errors.NONE) {
        return CompletableFuture.completedFuture(lookup.offset());
      }
      if (lookup.error().exception() instanceof RetriableException
          && lookup.error() != Errors.UNKNOWN_TOPIC_OR_PARTITION
          && System.nanoTime() < deadlineNanos && !subscription.isCancelled()) {
        log.debug("stream connection {}: start of {} not known yet ({}), asking again", id, partition, lookup.error());
        return Patterns.after(START_LOOKUP_RETRY, broker.system().classicSystem().scheduler(),
            broker.system().executionContext(), () -> startOffset(partition, which, deadlineNanos, subscription));
      }
      return CompletableFuture.failedFuture(lookup.error().exception());
    });
  }

  private static ApiException apiException(Throwable failure) {
    Throwable cause = Broker.unwrap(failure);
    return cause instanceof ApiException api ? api : new org.apache.kafka.common.errors.UnknownServerException(
        cause.toString(), cause);
  }

  private static Outgoing refuse(int ref, Errors error, String message) {
    return Outgoing.answer(Protocol.encode(new Protocol.Error(ref, error.code(), message)));
  }

  private static CompletionStage<List<Outgoing>> answer(Outgoing... answers) {
    return CompletableFuture.completedFuture(List.of(answers));
  }
}
