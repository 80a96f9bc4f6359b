package dev.runnel.client.internal;

import dev.runnel.client.CommittableMessage;
import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Control;
import dev.runnel.client.RunnelException;
import dev.runnel.client.internal.Protocol.Message;
import dev.runnel.client.internal.Protocol.TopicPartition;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.OutHandler;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group consumer source: one connection that carries the member's group requests, its commits and one
 * subscription per assigned partition, with the same bounded, credit-based buffer per partition as
 * {@link ConsumerStage}. The coordinator assigns the partitions; on a rebalance the source cancels the
 * subscriptions of revoked partitions (dropping what they had buffered) before it rejoins to confirm the
 * revocation, and starts each newly assigned partition at the group's committed offset, or by
 * {@code auto-offset-reset} when there is none.
 *
 * <p>Through a node's death it goes on as kafka-clients' consumer does: what {@link GroupErrors} calls retriable
 * (the coordinator moving to a survivor, a lost connection) is retried with backoff until
 * {@code consumer.group.retry-timeout}. A lost connection is replaced by one to the next bootstrap broker, the
 * member rejoins under its member id, and each partition it keeps is read on from the record after the last it
 * emitted; a partition it gets anew starts at the committed offset.
 */
public final class GroupConsumerStage<T> extends AbstractGraphStageWithMaterializedValue<SourceShape<T>, Control> {

  private static final Logger log = LoggerFactory.getLogger(GroupConsumerStage.class);
  private static final String HEARTBEAT = "heartbeat";
  private static final String REJOIN = "rejoin";
  private static final String LEAVE_TIMEOUT = "leave-timeout";
  private static final String RECONNECT = "reconnect";
  /** Starts the subscriptions of owned partitions that have none (after a refusal or a lost connection). */
  private static final String RESUME = "resume";
  /** Outgoing frames that may wait for the socket: small requests (subscribe, credit, commit, heartbeat). */
  private static final int OUTGOING_QUEUE = 4096;
  /** Pause before a commit refused during a rebalance is sent again. */
  private static final long COMMIT_RETRY_MS = 100;

  private final ConsumerSettings settings;
  private final String groupId;
  private final List<String> topics;
  /** Emits a sub-source per assigned partition instead of the messages themselves. */
  private final boolean partitioned;
  /** Where assigned partitions start, when not at the group's committed offsets; null for those. */
  private final StartOffsets startOffsets;
  private final Outlet<T> out = Outlet.create("RunnelGroupConsumer.out");
  private final SourceShape<T> shape = SourceShape.of(out);

  /** The stage of {@code Consumer.committableSource}. */
  public static GroupConsumerStage<CommittableMessage> committable(ConsumerSettings settings, String groupId,
      Set<String> topics) {
    return new GroupConsumerStage<>(settings, groupId, topics, false, null);
  }

  /** The stage of {@code Consumer.partitionedSource}: a sub-source per partition, completed on revocation. */
  public static GroupConsumerStage<Pair<org.apache.kafka.common.TopicPartition, Source<CommittableMessage, NotUsed>>>
      partitioned(ConsumerSettings settings, String groupId, Set<String> topics) {
    return new GroupConsumerStage<>(settings, groupId, topics, true, null);
  }

  /**
   * {@link #partitioned(ConsumerSettings, String, Set)} whose assigned partitions start at the offsets
   * {@code startOffsets} answers (the next offset to read per partition) instead of the group's committed ones.
   */
  public static GroupConsumerStage<Pair<org.apache.kafka.common.TopicPartition, Source<CommittableMessage, NotUsed>>>
      partitioned(ConsumerSettings settings, String groupId, Set<String> topics, StartOffsets startOffsets) {
    return new GroupConsumerStage<>(settings, groupId, topics, true, startOffsets);
  }

  /** Where assigned partitions start: the next offset to read of each, absent where there is none. */
  @FunctionalInterface
  public interface StartOffsets
      extends Function<Set<org.apache.kafka.common.TopicPartition>,
          CompletionStage<Map<org.apache.kafka.common.TopicPartition, Long>>> {}

  private GroupConsumerStage(ConsumerSettings settings, String groupId, Set<String> topics, boolean partitioned,
      StartOffsets startOffsets) {
    if (groupId == null || groupId.isEmpty()) {
      throw new IllegalArgumentException("a group id must not be empty");
    }
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("a group source needs at least one topic");
    }
    this.settings = settings;
    this.groupId = groupId;
    this.topics = List.copyOf(topics);
    this.partitioned = partitioned;
    this.startOffsets = startOffsets;
  }

  @Override
  public SourceShape<T> shape() {
    return shape;
  }

  @Override
  public Pair<GraphStageLogic, Control> createLogicAndMaterializedValuePair(Attributes attributes) {
    Logic logic = new Logic();
    return Pair.create(logic, logic.control);
  }

  /** An assigned partition: its subscription (-1 while it has none) and its buffered frames. */
  private static final class Cursor {
    final TopicPartition partition;
    int subscriptionId = -1;
    /** The offset of the next record to emit; negative until known (start offset or Subscribed). */
    long nextToPush = -1;
    long nextToReceive;
    final ArrayDeque<FrameRecords> frames = new ArrayDeque<>();
    int creditsToReturn;
    /** Since when its subscription has been refused with retriable errors; 0 while it is not. */
    long refusedSince;
    /** The application cancelled its sub-source: it is not read again. */
    boolean abandoned;
    /** The partition's sub-source, in a partitioned source. */
    GraphStageLogic.SubSourceOutlet<CommittableMessage> sub;

    Cursor(TopicPartition partition) {
      this.partition = partition;
    }
  }

  private final class Logic extends TimerGraphStageLogic implements GroupOffset.Committer {

    final CompletableFuture<Done> stopped = new CompletableFuture<>();
    final CompletableFuture<Done> emittingStopped = new CompletableFuture<>();
    final Map<TopicPartition, Cursor> owned = new LinkedHashMap<>();
    final Map<Integer, Cursor> bySubscription = new HashMap<>();
    final Map<Integer, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    final AtomicInteger correlations = new AtomicInteger();
    /** Sub-sources of newly assigned partitions not yet emitted (partitioned source). */
    final ArrayDeque<T> subSourcesToEmit = new ArrayDeque<>();
    final AsyncCallback<Pair<Integer, Message>> onMessage;
    final AsyncCallback<Pair<Integer, Throwable>> onClosed;
    final AsyncCallback<Runnable> onStage;
    final Backoff backoff = new Backoff(settings.minBackoff(), settings.maxBackoff());
    final long retryTimeoutNanos = settings.group().retryTimeout().toNanos();
    volatile Connection connection;
    /** The stage has stopped: a commit still retrying fails. */
    volatile boolean ended;
    /** How many connections were opened: answers of an earlier one are dropped. */
    int connections;
    volatile String memberId = "";
    volatile int generation = -1;
    volatile boolean joining;
    /** Since when the member's group requests or connection have failed with retriable errors; 0 while not. */
    long troubleSince;
    /** When the oldest heartbeat sent since the last answer was sent; 0 when every heartbeat is answered. */
    long heartbeatSentAt;
    /** No more records are emitted (stop or shutdown); the member stays in the group until it leaves. */
    boolean stopping;
    boolean leaving;
    int nextSubscriptionId;
    int nextPartition;

    final Control control = new Control() {
      @Override
      public CompletionStage<Done> stop() {
        onStage.invoke(Logic.this::stopEmitting);
        return emittingStopped;
      }

      @Override
      public CompletionStage<Done> shutdown() {
        onStage.invoke(Logic.this::leave);
        return stopped;
      }

      @Override
      public CompletionStage<Done> isShutdown() {
        return stopped;
      }
    };

    Logic() {
      super(shape);
      onMessage = createAsyncCallback(answer -> {
        if (answer.first() == connections) {
          received(answer.second());
        }
      });
      onClosed = createAsyncCallback(closed -> {
        if (closed.first() == connections) {
          disconnected(closed.second());
        }
      });
      onStage = createAsyncCallback(Runnable::run);
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          if (partitioned) {
            emitSubSources();
          } else {
            pushNext();
          }
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          leave();
        }
      });
    }

    @Override
    public void preStart() {
      // The stage outlives its output: after stop() it still commits and heartbeats until it leaves.
      setKeepGoing(true);
      connect();
      join();
      scheduleWithFixedDelay(HEARTBEAT, settings.group().heartbeatInterval(), settings.group().heartbeatInterval());
    }

    void connect() {
      int current = ++connections;
      List<String> brokers = settings.bootstrapUris();
      String broker = brokers.get((current - 1) % brokers.size());
      connection = Connection.open(materializer().system(), broker, OUTGOING_QUEUE,
          message -> onMessage.invoke(Pair.create(current, message)),
          failure -> onClosed.invoke(Pair.create(current, failure)));
    }

    @Override
    public void postStop() {
      ended = true;
      Connection current = connection;
      if (current != null) {
        current.close();
      }
      RunnelException gone = new RunnelException(Errors.UNKNOWN_MEMBER_ID,
          "group " + groupId + ": the source has stopped");
      pending.values().forEach(request -> request.completeExceptionally(gone));
      emittingStopped.complete(Done.getInstance());
      stopped.complete(Done.getInstance());
    }

    /** Sends a request and completes with its answer, or fails when the connection cannot take it. */
    CompletableFuture<Message> request(int correlationId, Message message) {
      CompletableFuture<Message> answer = new CompletableFuture<>();
      pending.put(correlationId, answer);
      answer.whenComplete((ignored, failure) -> pending.remove(correlationId, answer));
      Connection current = connection;
      if (current == null || !current.send(message)) {
        pending.remove(correlationId);
        answer.completeExceptionally(new RunnelException(Errors.NETWORK_EXCEPTION,
            "group " + groupId + ": no connection to " + settings.bootstrap()));
      }
      return answer;
    }

    /** Sends a frame if there is a connection; without one, what it would do is redone on the next. */
    void send(Message message) {
      Connection current = connection;
      if (current != null) {
        current.send(message);
      }
    }

    /**
     * Runs {@code then} on the stage with the answer, if it came on the current connection. A request fails only
     * when its connection is lost, and what the lost connection was doing is redone on the next one.
     */
    void onAnswer(CompletableFuture<Message> answer, java.util.function.Consumer<Message> then) {
      int sentOn = connections;
      answer.whenComplete((message, failure) -> onStage.invoke(() -> {
        if (failure == null && sentOn == connections) {
          then.accept(message);
        }
      }));
    }

    /** Whether the current run of retriable errors (starting now if none was running) is within the deadline. */
    boolean troubleWithinDeadline() {
      long now = System.nanoTime();
      if (troubleSince == 0) {
        troubleSince = now;
      }
      return GroupErrors.withinDeadline(troubleSince, now, retryTimeoutNanos);
    }

    /** What to do with a group answer's error; a retriable one counts against the retry timeout. */
    GroupErrors.Reaction react(Errors error) {
      return GroupErrors.reaction(error, !GroupErrors.isRetriable(error) || troubleWithinDeadline());
    }

    /** A group request answered without a retriable error: the coordinator is there again. */
    void coordinatorAnswered() {
      troubleSince = 0;
      backoff.reset();
    }

    void failRetried(Errors error, String what, String message) {
      failStage(new RunnelException(error, "group " + groupId + ": " + what + " " + error
          + (GroupErrors.isRetriable(error) ? " for " + settings.group().retryTimeout().toMillis()
              + " ms (consumer.group.retry-timeout)" : "") + ": " + message));
    }

    void join() {
      if (joining || leaving || connection == null) {
        return;
      }
      joining = true;
      int correlationId = correlations.incrementAndGet();
      Protocol.JoinGroup join = new Protocol.JoinGroup(correlationId, groupId, memberId,
          (int) settings.group().sessionTimeout().toMillis(), (int) settings.group().rebalanceTimeout().toMillis(),
          settings.group().strategy(), topics, List.copyOf(owned.keySet()), generation);
      onAnswer(request(correlationId, join), answer -> joined((Protocol.JoinResult) answer));
    }

    void joined(Protocol.JoinResult result) {
      joining = false;
      if (leaving) {
        return;
      }
      Errors error = Errors.forCode(result.errorCode());
      if (error == Errors.MEMBER_ID_REQUIRED) {
        memberId = result.memberId();
        join();
        return;
      }
      switch (react(error)) {
        case PROCEED -> {
          coordinatorAnswered();
          memberId = result.memberId();
          generation = result.generationId();
          assigned(result.assignment());
        }
        case LOST_MEMBERSHIP -> lostMembership(error);
        case REJOIN -> scheduleOnce(REJOIN, settings.minBackoff());
        case RETRY -> {
          Duration delay = backoff.next();
          log.info("group {} member {}: JoinGroup answered {}, joining again in {} ms", groupId, memberId, error,
              delay.toMillis());
          scheduleOnce(REJOIN, delay);
        }
        case FAIL -> failRetried(error, "JoinGroup answered", result.message());
      }
    }

    void assigned(List<TopicPartition> assignment) {
      List<TopicPartition> revoked = new ArrayList<>();
      for (TopicPartition partition : owned.keySet()) {
        if (!assignment.contains(partition)) {
          revoked.add(partition);
        }
      }
      revoked.forEach(this::revoke);
      List<TopicPartition> added = new ArrayList<>();
      for (TopicPartition partition : assignment) {
        if (!owned.containsKey(partition)) {
          Cursor cursor = new Cursor(partition);
          owned.put(partition, cursor);
          added.add(partition);
          if (partitioned && !stopping) {
            openSubSource(cursor);
          }
        }
      }
      log.info("group {} member {} generation {}: assigned {}, revoked {}", groupId, memberId, generation, added,
          revoked);
      // New partitions, and kept ones whose subscription went with a lost connection.
      resume();
      if (!revoked.isEmpty() && "cooperative-sticky".equals(settings.group().strategy())) {
        // The rejoin without them tells the coordinator that their subscriptions have stopped (KIP-429).
        join();
      }
    }

    void revoke(TopicPartition partition) {
      Cursor cursor = owned.remove(partition);
      if (cursor != null) {
        stopReading(cursor);
        if (cursor.sub != null && !cursor.sub.isClosed()) {
          cursor.sub.complete();
        }
      }
    }

    void stopReading(Cursor cursor) {
      if (cursor.subscriptionId >= 0 && bySubscription.remove(cursor.subscriptionId) != null) {
        send(new Protocol.Cancel(cursor.subscriptionId));
      }
      cursor.frames.clear();
    }

    /** Forgets a partition's subscription and buffer; {@link #resume} subscribes it again from nextToPush. */
    void dropSubscription(Cursor cursor) {
      bySubscription.remove(cursor.subscriptionId);
      cursor.subscriptionId = -1;
      cursor.frames.clear();
      cursor.creditsToReturn = 0;
    }

    /**
     * Subscribes every owned partition that has no subscription: from the record after the last one emitted when
     * that is known (the member kept the partition), else from the group's committed offset.
     */
    void resume() {
      if (stopping || connection == null) {
        return;
      }
      List<TopicPartition> toFetch = new ArrayList<>();
      for (Cursor cursor : owned.values()) {
        if (cursor.subscriptionId >= 0 || cursor.abandoned) {
          continue;
        }
        if (cursor.nextToPush >= 0) {
          start(cursor, cursor.nextToPush);
        } else {
          toFetch.add(cursor.partition);
        }
      }
      if (toFetch.isEmpty()) {
        return;
      }
      if (startOffsets == null) {
        fetchOffsets(toFetch);
      } else {
        lookUpStartOffsets(toFetch);
      }
    }

    /**
     * Subscribes these partitions where the application's own offsets say (a Pekko Projection's offset store), not
     * at the group's committed offsets; a partition it has no offset for starts by {@code auto-offset-reset}.
     */
    void lookUpStartOffsets(List<TopicPartition> partitions) {
      Set<org.apache.kafka.common.TopicPartition> asked = new HashSet<>();
      partitions.forEach(p -> asked.add(new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())));
      CompletionStage<Map<org.apache.kafka.common.TopicPartition, Long>> lookup;
      try {
        lookup = startOffsets.apply(asked);
      } catch (RuntimeException e) {
        lookup = CompletableFuture.failedFuture(e);
      }
      lookup.whenComplete((offsets, failure) -> onStage.invoke(() -> {
        if (failure != null) {
          failStage(new IllegalStateException("the start offsets of " + asked + " could not be looked up", failure));
          return;
        }
        for (TopicPartition partition : partitions) {
          Cursor cursor = owned.get(partition);
          if (cursor != null && cursor.subscriptionId < 0 && !cursor.abandoned && !stopping) {
            Long next = offsets.get(new org.apache.kafka.common.TopicPartition(partition.topic(), partition.partition()));
            start(cursor, next == null ? -1 : next);
          }
        }
      }));
    }

    @SuppressWarnings("unchecked")
    void openSubSource(Cursor cursor) {
      GraphStageLogic.SubSourceOutlet<CommittableMessage> sub =
          new SubSourceOutlet<CommittableMessage>("RunnelGroupConsumer.partition-" + cursor.partition);
      sub.setHandler(new OutHandler() {
        @Override
        public void onPull() {
          pushFrom(cursor);
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          // The application no longer wants this partition: stop reading it, keep it until the group moves it.
          cursor.abandoned = true;
          stopReading(cursor);
        }
      });
      cursor.sub = sub;
      subSourcesToEmit.add((T) Pair.create(
          new org.apache.kafka.common.TopicPartition(cursor.partition.topic(), cursor.partition.partition()),
          Source.fromGraph(sub.source())));
      emitSubSources();
    }

    void emitSubSources() {
      if (!subSourcesToEmit.isEmpty() && isAvailable(out)) {
        push(out, subSourcesToEmit.poll());
      }
    }

    void pushFrom(Cursor cursor) {
      if (stopping || cursor.sub == null || !cursor.sub.isAvailable()) {
        return;
      }
      ConsumerRecord record = take(cursor);
      if (record != null) {
        cursor.nextToPush = record.offset() + 1;
        cursor.sub.push(message(record));
      }
    }

    CommittableMessage message(ConsumerRecord record) {
      return new CommittableMessage(record, new GroupOffset(groupId, memberId, generation, record.topic(),
          record.partition(), record.offset(), this));
    }

    void lostMembership(Errors error) {
      log.warn("group {} member {}: {}, its partitions are gone; joining again", groupId, memberId, error);
      new ArrayList<>(owned.keySet()).forEach(this::revoke);
      if (error == Errors.UNKNOWN_MEMBER_ID) {
        memberId = "";
      }
      generation = -1;
      join();
    }

    void fetchOffsets(List<TopicPartition> partitions) {
      int correlationId = correlations.incrementAndGet();
      onAnswer(request(correlationId, new Protocol.OffsetFetch(correlationId, groupId, partitions)), answer -> {
        Protocol.OffsetFetchResult result = (Protocol.OffsetFetchResult) answer;
        Errors error = Errors.forCode(result.errorCode());
        switch (react(error)) {
          case PROCEED -> {
            coordinatorAnswered();
            for (Protocol.PartitionOffset committed : result.offsets()) {
              Cursor cursor = owned.get(new TopicPartition(committed.topic(), committed.partition()));
              if (cursor != null && cursor.subscriptionId < 0 && !cursor.abandoned && !stopping) {
                start(cursor, committed.offset());
              }
            }
          }
          case FAIL -> failRetried(error, "committed offsets: OffsetFetch answered", result.message());
          default -> {
            Duration delay = backoff.next();
            log.info("group {}: OffsetFetch answered {}, asking again in {} ms", groupId, error, delay.toMillis());
            scheduleOnce(RESUME, delay);
          }
        }
      });
    }

    void start(Cursor cursor, long committed) {
      long offset = committed;
      if (committed < 0) {
        switch (settings.group().autoOffsetReset()) {
          case EARLIEST -> offset = Protocol.EARLIEST;
          case LATEST -> offset = Protocol.LATEST;
          default -> {
            failStage(new NoOffsetForPartitionException(
                new org.apache.kafka.common.TopicPartition(cursor.partition.topic(), cursor.partition.partition())));
            return;
          }
        }
      }
      cursor.subscriptionId = nextSubscriptionId++;
      cursor.nextToPush = offset;
      cursor.nextToReceive = offset;
      bySubscription.put(cursor.subscriptionId, cursor);
      send(new Protocol.Subscribe(cursor.subscriptionId, cursor.partition.topic(),
          cursor.partition.partition(), offset, settings.maxFrameBytes(), (int) settings.maxWait().toMillis()));
      send(new Protocol.Credit(cursor.subscriptionId, settings.creditWindow()));
    }

    @Override
    public void onTimer(Object key) {
      if (HEARTBEAT.equals(key)) {
        heartbeat();
      } else if (REJOIN.equals(key)) {
        join();
      } else if (RESUME.equals(key)) {
        resume();
      } else if (RECONNECT.equals(key)) {
        connect();
        join();
      } else if (LEAVE_TIMEOUT.equals(key)) {
        log.warn("group {} member {}: no answer to LeaveGroup in {}", groupId, memberId, settings.requestTimeout());
        completeStage();
      }
    }

    void heartbeat() {
      long now = System.nanoTime();
      if (heartbeatSentAt != 0 && now - heartbeatSentAt > 2 * settings.requestTimeout().toNanos()) {
        // The broker answers every heartbeat within its ask timeout (as long as request-timeout by default), even
        // one its coordinator cannot get: this connection is dead without having noticed. Closing it brings a new.
        log.warn("group {} member {}: no answer to a heartbeat in {} ms, reconnecting", groupId, memberId,
            2 * settings.requestTimeout().toMillis());
        connection.close();
        return;
      }
      if (joining || leaving || generation < 0 || connection == null) {
        return;
      }
      // Sent even while earlier ones are unanswered: a heartbeat held by a coordinator that died is answered only
      // when the broker notices, and the member must reach the coordinator's new home before its session times out.
      int correlationId = correlations.incrementAndGet();
      int sentGeneration = generation;
      if (heartbeatSentAt == 0) {
        heartbeatSentAt = now;
      }
      Protocol.Heartbeat heartbeat = new Protocol.Heartbeat(correlationId, groupId, memberId, sentGeneration);
      onAnswer(request(correlationId, heartbeat), answer -> {
        heartbeatSentAt = 0;
        Protocol.GroupResult result = (Protocol.GroupResult) answer;
        Errors error = Errors.forCode(result.errorCode());
        if (leaving || joining || sentGeneration != generation) {
          return;
        }
        switch (react(error)) {
          case PROCEED -> coordinatorAnswered();
          case REJOIN -> join();
          case LOST_MEMBERSHIP -> lostMembership(error);
          // The next heartbeat asks again; the member keeps its partitions and reads on meanwhile.
          case RETRY -> log.debug("group {} member {}: heartbeat answered {}", groupId, memberId, error);
          case FAIL -> failRetried(error, "Heartbeat answered", result.message());
        }
      });
    }

    void received(Message message) {
      if (message instanceof Protocol.Records records) {
        Cursor cursor = bySubscription.get(records.subscriptionId());
        if (cursor != null) {
          cursor.refusedSince = 0;
          FrameRecords frame = new FrameRecords(cursor.partition.topic(), cursor.partition.partition(),
              records.batches(), cursor.nextToReceive);
          cursor.nextToReceive = frame.nextToReceive();
          cursor.frames.add(frame);
          if (partitioned) {
            pushFrom(cursor);
          } else {
            pushNext();
          }
        }
      } else if (message instanceof Protocol.Subscribed subscribed) {
        Cursor cursor = bySubscription.get(subscribed.subscriptionId());
        if (cursor != null) {
          if (cursor.nextToPush < 0) {
            cursor.nextToPush = subscribed.offset();
          }
          cursor.nextToReceive = subscribed.offset();
        }
      } else if (message instanceof Protocol.Error error) {
        Cursor cursor = bySubscription.get(error.ref());
        if (cursor != null) {
          subscriptionRefused(cursor, error);
        } else if (error.ref() == Protocol.NO_REF) {
          failStage(new RunnelException(Errors.forCode(error.errorCode()), "group " + groupId + ", connection: "
              + error.message()));
        }
      } else if (message instanceof Protocol.JoinResult answer) {
        answered(answer.correlationId(), answer);
      } else if (message instanceof Protocol.GroupResult answer) {
        answered(answer.correlationId(), answer);
      } else if (message instanceof Protocol.OffsetFetchResult answer) {
        answered(answer.correlationId(), answer);
      } else {
        failStage(new IllegalStateException("unexpected " + message.getClass().getSimpleName() + " from broker"));
      }
    }

    /** A partition whose start could not be found while it moves is subscribed again, until the deadline. */
    void subscriptionRefused(Cursor cursor, Protocol.Error refusal) {
      Errors error = Errors.forCode(refusal.errorCode());
      long now = System.nanoTime();
      if (cursor.refusedSince == 0) {
        cursor.refusedSince = now;
      }
      boolean within = GroupErrors.isRetriable(error)
          && GroupErrors.withinDeadline(cursor.refusedSince, now, retryTimeoutNanos);
      String where = "group " + groupId + ", " + cursor.partition.topic() + "-" + cursor.partition.partition();
      if (!within) {
        failStage(new RunnelException(error, where + ": " + refusal.message()));
        return;
      }
      log.info("{}: subscription refused with {}, subscribing again", where, error);
      dropSubscription(cursor);
      scheduleOnce(RESUME, backoff.next());
    }

    void answered(int correlationId, Message answer) {
      CompletableFuture<Message> request = pending.remove(correlationId);
      if (request != null) {
        request.complete(answer);
      }
    }

    void disconnected(Throwable cause) {
      if (leaving) {
        completeStage();
        return;
      }
      Connection lost = connection;
      connection = null;
      if (lost != null) {
        lost.close();
      }
      joining = false;
      heartbeatSentAt = 0;
      RunnelException failure = new RunnelException(Errors.NETWORK_EXCEPTION,
          "group " + groupId + ": connection lost: " + cause.getMessage());
      // Commits waiting for an answer are sent again on the next connection.
      new ArrayList<>(pending.values()).forEach(request -> request.completeExceptionally(failure));
      owned.values().forEach(this::dropSubscription);
      if (!troubleWithinDeadline()) {
        failRetried(Errors.NETWORK_EXCEPTION, "connection to " + settings.bootstrap(), cause.getMessage());
        return;
      }
      Duration delay = backoff.next();
      log.warn("group {} member {}: connection lost ({}), reconnecting in {} ms", groupId, memberId,
          cause.getMessage(), delay.toMillis());
      scheduleOnce(RECONNECT, delay);
    }

    @SuppressWarnings("unchecked")
    void pushNext() {
      if (stopping || !isAvailable(out) || owned.isEmpty()) {
        return;
      }
      List<Cursor> cursors = new ArrayList<>(owned.values());
      for (int i = 0; i < cursors.size(); i++) {
        Cursor cursor = cursors.get((nextPartition + i) % cursors.size());
        ConsumerRecord record = take(cursor);
        if (record != null) {
          nextPartition = (nextPartition + i + 1) % cursors.size();
          cursor.nextToPush = record.offset() + 1;
          push(out, (T) message(record));
          return;
        }
      }
    }

    ConsumerRecord take(Cursor cursor) {
      while (!cursor.frames.isEmpty()) {
        ConsumerRecord record = cursor.frames.peek().next();
        if (record != null) {
          return record;
        }
        cursor.frames.poll();
        cursor.creditsToReturn++;
        if (cursor.creditsToReturn >= Math.max(1, settings.creditWindow() / 2)) {
          send(new Protocol.Credit(cursor.subscriptionId, cursor.creditsToReturn));
          cursor.creditsToReturn = 0;
        }
      }
      return null;
    }

    /** Stops emitting and reading; the member keeps its partitions, heartbeats and commits until it leaves. */
    void stopEmitting() {
      if (stopping) {
        return;
      }
      stopping = true;
      subSourcesToEmit.clear();
      for (Cursor cursor : owned.values()) {
        stopReading(cursor);
        if (cursor.sub != null && !cursor.sub.isClosed()) {
          cursor.sub.complete();
        }
      }
      if (!isClosed(out)) {
        complete(out);
      }
      emittingStopped.complete(Done.getInstance());
    }

    void leave() {
      if (leaving) {
        return;
      }
      stopEmitting();
      leaving = true;
      if (memberId.isEmpty() || connection == null) {
        // Without a connection there is no one to tell: the coordinator removes the member at its session timeout.
        completeStage();
        return;
      }
      int correlationId = correlations.incrementAndGet();
      scheduleOnce(LEAVE_TIMEOUT, settings.requestTimeout());
      onAnswer(request(correlationId, new Protocol.LeaveGroup(correlationId, groupId, memberId)), answer -> {
        Errors error = Errors.forCode(((Protocol.GroupResult) answer).errorCode());
        if (error != Errors.NONE) {
          log.warn("group {} member {}: LeaveGroup answered {}", groupId, memberId, error);
        }
        completeStage();
      });
    }

    @Override
    public CompletionStage<Done> commit(List<GroupOffset> offsets) {
      List<Protocol.PartitionOffset> next = offsets.stream()
          .map(o -> new Protocol.PartitionOffset(o.topic(), o.partition(), o.offset() + 1)).toList();
      return commit(next, System.nanoTime());
    }

    /**
     * Commits under the member's current id and generation; sent again while the answer is a rebalance, a lost
     * membership the member is rejoining from, a retriable error or a lost connection, until the retry timeout.
     * Offsets of records the member emitted are safe to commit under a later generation: every record before them
     * was read, so a partition's next owner starting there skips nothing.
     */
    private CompletableFuture<Done> commit(List<Protocol.PartitionOffset> offsets, long firstSent) {
      int correlationId = correlations.incrementAndGet();
      int sentGeneration = generation;
      String sentMember = memberId;
      Protocol.OffsetCommit commit = new Protocol.OffsetCommit(correlationId, groupId, sentMember, sentGeneration,
          offsets);
      return request(correlationId, commit).orTimeout(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .handle((answer, failure) -> {
            Errors error;
            String message;
            if (failure != null) {
              error = failure instanceof RunnelException runnel ? runnel.error() : Errors.REQUEST_TIMED_OUT;
              message = failure.getMessage();
            } else {
              Protocol.GroupResult result = (Protocol.GroupResult) answer;
              error = Errors.forCode(result.errorCode());
              message = result.message();
            }
            if (error == Errors.NONE) {
              return CompletableFuture.completedFuture(Done.getInstance());
            }
            boolean within = !ended
                && GroupErrors.withinDeadline(firstSent, System.nanoTime(), retryTimeoutNanos);
            GroupErrors.Reaction reaction = GroupErrors.reaction(error, within);
            if (reaction == GroupErrors.Reaction.LOST_MEMBERSHIP) {
              // Kafka's consumer rejoins when a commit tells it it was removed; the commit goes under the new id.
              onStage.invoke(() -> {
                if (!joining && !leaving && generation == sentGeneration && memberId.equals(sentMember)) {
                  lostMembership(error);
                }
              });
            }
            if (reaction != GroupErrors.Reaction.FAIL && within) {
              return CompletableFuture.supplyAsync(() -> null,
                      CompletableFuture.delayedExecutor(COMMIT_RETRY_MS, TimeUnit.MILLISECONDS))
                  .thenCompose(ignored -> commit(offsets, firstSent));
            }
            return CompletableFuture.<Done>failedFuture(new RunnelException(error,
                "group " + groupId + " refused the commit of " + offsets + ": " + message));
          })
          .thenCompose(result -> result);
    }
  }
}
