package dev.runnel.broker.partition;

import dev.runnel.broker.metrics.RunnelMetrics;
import dev.runnel.broker.topic.TopicConfig;
import dev.runnel.persistence.AbortedTxn;
import dev.runnel.persistence.IndexEntry;
import dev.runnel.persistence.OffsetIndex;
import dev.runnel.persistence.PartitionEvent;
import dev.runnel.persistence.PartitionEvent.LogCompacted;
import dev.runnel.persistence.PartitionEvent.LogStartOffsetAdvanced;
import dev.runnel.persistence.PartitionEvent.PartitionDeleted;
import dev.runnel.persistence.PartitionEvent.Records;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionJournal;
import dev.runnel.persistence.PartitionState;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One partition of a topic: a sharded, event-sourced log whose events are Kafka v2 record batches with
 * broker-assigned offsets.
 *
 * <p><b>Group commit.</b> An append does not write at once: it joins the pending group and, if none is scheduled,
 * schedules a {@link Flush} to this entity. While a journal write is in flight Pekko stashes every command, and on
 * completion unstashes them all in one turn, ahead of the {@code Flush} they schedule; so every append that
 * arrived during a write goes into the next write, as one event.
 *
 * <p><b>Reads.</b> Recent events stay in a {@link TailCache}; older ones are read from the journal's read side
 * outside the actor, found through the offset index in the state. Fetches at the log end may wait (long poll)
 * until an append arrives or their wait is up.
 *
 * <p><b>Lifecycle.</b> Retention ({@code retention.ms}, {@code retention.bytes}) and DeleteRecords persist
 * {@link LogStartOffsetAdvanced}; compaction persists
 * {@link dev.runnel.persistence.PartitionEvent.RecordsCompacted} events (the surviving records of a
 * range, with their original offsets, as new events) and a {@link LogCompacted}, in one atomic write. The decisions
 * are {@link LogCleaner}'s; compaction's reading and filtering run on the cleaner executor while this actor goes on
 * appending and serving fetches, and its result is persisted only if the range is unchanged. Each of these events
 * is followed by a snapshot, and once that snapshot is stored the journal events below both the snapshot and the
 * lowest sequence number the offset index refers to are deleted ({@link #deleteObsoleteEvents}). So recovery never
 * needs a deleted event, and a restart at any point sees either the state before an event or after it: a compaction
 * interrupted before its write is simply lost and runs again; one interrupted after its write but before the
 * deletion leaves rows that the next snapshot deletes. Checks run on timers, and right after recovery; a passivated
 * partition is not checked until something wakes it.
 *
 * <p><b>Passivation.</b> A partition that no request has used for {@code idle-timeout} asks its shard to passivate
 * it, rather than cluster sharding timing entities out itself: sharding's passivation strategies make each region
 * tell every one of its shards whenever a shard starts or stops, and every partition is its own shard
 * ({@link dev.runnel.broker.cluster.PartitionShards}), so 10,000 partitions cost 50 million such messages as they
 * start. The shard stops it with {@link #stopMessage()}, which first writes what is pending, so neither a passivation nor a
 * hand-off to another node drops an append that had already reached the partition.
 *
 * <p>The fields below are runtime state that is rebuilt, not recovered: the pending group, the tail cache, the
 * waiting fetches and whether a compaction runs. They are touched only by this actor.
 */
public final class Partition extends EventSourcedBehavior<Partition.Command, PartitionEvent, PartitionState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "partition");

  /** Kafka's ListOffsets timestamps that ask for the earliest and latest offsets. */
  public static final long EARLIEST_TIMESTAMP = -2L;
  public static final long LATEST_TIMESTAMP = -1L;

  /** Serialized by {@link PartitionProtocolSerializer}, for the partitions hosted on other nodes. */
  public sealed interface Command {}

  /**
   * Appends record batches (one producer request's data for this partition), only if {@code condition} holds when
   * it is null; a conditional append that finds otherwise is answered {@link AppendResult#conflicted} and stores
   * nothing.
   */
  public record Append(ByteBuffer records, AppendCondition condition, ActorRef<AppendResult> replyTo)
      implements Command {

    public Append(ByteBuffer records, ActorRef<AppendResult> replyTo) {
      this(records, null, replyTo);
    }
  }

  /**
   * Reads one key's records from {@code fromOffset} through the key index, examining at most
   * {@code runnel.broker.partition.key-read-max-bytes} of journal events (see {@link KeyReader}).
   */
  public record ReadKey(byte[] key, long fromOffset, ActorRef<KeyReadResult> replyTo) implements Command {}

  /**
   * Reads batches from {@code offset}, at most {@code maxBytes} (but at least one whole batch); at the log end
   * waits up to {@code maxWait} for data. READ_COMMITTED reads only below the last stable offset, and waits there
   * until it moves; the result names the aborted transactions of the range read.
   */
  public record Fetch(long offset, int maxBytes, Duration maxWait, IsolationLevel isolation,
      ActorRef<FetchResult> replyTo) implements Command {

    /** A READ_UNCOMMITTED fetch. */
    public Fetch(long offset, int maxBytes, Duration maxWait, ActorRef<FetchResult> replyTo) {
      this(offset, maxBytes, maxWait, IsolationLevel.READ_UNCOMMITTED, replyTo);
    }

    boolean readCommitted() {
      return isolation == IsolationLevel.READ_COMMITTED;
    }
  }

  /**
   * Kafka's ListOffsets: {@link #EARLIEST_TIMESTAMP}, {@link #LATEST_TIMESTAMP} (the last stable offset for
   * READ_COMMITTED, else the high watermark) or a record timestamp.
   */
  public record ListOffsets(long timestamp, IsolationLevel isolation, ActorRef<OffsetLookup> replyTo)
      implements Command {

    /** A READ_UNCOMMITTED lookup. */
    public ListOffsets(long timestamp, ActorRef<OffsetLookup> replyTo) {
      this(timestamp, IsolationLevel.READ_UNCOMMITTED, replyTo);
    }
  }

  public record GetStatus(ActorRef<PartitionStatus> replyTo) implements Command {}

  /** Deletes the log for good: its topic was deleted. */
  public record Delete(ActorRef<Done> replyTo) implements Command {}

  /**
   * Kafka's DeleteRecords: moves the log start offset to {@code offset} ({@code -1}: the high watermark). An offset
   * at or below the log start changes nothing; one beyond the high watermark is {@code OFFSET_OUT_OF_RANGE}.
   */
  public record DeleteRecords(long offset, ActorRef<DeleteRecordsResult> replyTo) implements Command {}

  /**
   * Runs the retention and compaction checks now, and acknowledges. Sent by {@link IdlePartitionSweeper} (through
   * {@link PartitionMessenger}) to every partition: one that was passivated recovers and checks, since its own
   * timers stopped with it.
   */
  public record Wake(ActorRef<Done> replyTo) implements Command {}

  /**
   * Ends the producer's transaction on this partition: appends a COMMIT or ABORT control batch (Kafka's
   * EndTransactionMarker) for it, sent by the transaction coordinator after its decision is persisted.
   * Idempotent: a marker for a producer with no ongoing transaction here is acknowledged without a write.
   */
  public record WriteTxnMarker(
      long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
      ActorRef<TxnMarkerResult> replyTo) implements Command {}


  // The entity's messages to itself (timers, scheduled and piped results) never leave its node: none has a
  // serializer, and serialize-messages checks skip them.

  private enum Flush implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum CheckRetention implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum CheckCompaction implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum CheckIdle implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** See {@link #stopMessage()}. */
  private enum Stop implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /**
   * The stop message of the partition's shard, sent when it is passivated or handed off to another node: the
   * partition writes what is pending and answers its waiting fetches, then stops. Sent by the local shard only.
   */
  public static Command stopMessage() {
    return Stop.INSTANCE;
  }

  private record CompactionDone(LogCleaner.Plan plan, LogCleaner.Result result)
      implements Command, NoSerializationVerificationNeeded {}

  private record CompactionFailed(LogCleaner.Plan plan, Throwable cause)
      implements Command, NoSerializationVerificationNeeded {}

  private record WaitExpired(long waiterId) implements Command, NoSerializationVerificationNeeded {}

  /** A fetch waiting at the log end, and the timer that ends its wait: cancelled when data wakes it first. */
  private record Waiter(long id, Fetch fetch, Cancellable expiry) {}

  /** About the size of a transaction marker's control batch, for the journal write's size bound. */
  private static final int MARKER_BYTES = 78;

  private final ActorContext<Command> context;
  private final PartitionId id;
  private final PartitionSettings settings;
  private final Function<String, TopicConfig> topicConfigs;
  private final PartitionJournal journal;
  private final Executor cleaner;
  private final TailCache tailCache;
  private final RunnelMetrics metrics;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  /** When a request last used this partition ({@link System#nanoTime}); timers and wake-ups do not count. */
  private long lastUsed = System.nanoTime();
  /** Appends and transaction markers waiting for the next journal write. */
  private final List<Command> pending = new ArrayList<>();
  private final Map<Long, Waiter> waiters = new HashMap<>();
  private boolean flushScheduled;
  private long nextWaiterId;
  private boolean compacting;

  /**
   * The entity's behavior.
   *
   * @param topicConfigs the effective configuration of a topic by name, read at every append and every retention
   *     and compaction check, so config changes apply without a restart
   * @param cleaner where compaction filters records, away from the actor
   * @param tailCaches the node's budget of all partitions' tail caches
   * @param shard the partition's shard, which it asks to passivate it when idle
   */
  public static Behavior<Command> create(
      PartitionId id,
      PartitionSettings settings,
      Function<String, TopicConfig> topicConfigs,
      PartitionJournal journal,
      Executor cleaner,
      TailCacheBudget tailCaches,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(CheckRetention.INSTANCE, settings.retentionCheckInterval());
      timers.startTimerWithFixedDelay(CheckCompaction.INSTANCE, settings.compactionCheckInterval());
      settings.idleTimeout().ifPresent(timeout ->
          // Checked twice per timeout: an idle partition is passivated between 1 and 1.5 timeouts after its last use.
          timers.startTimerWithFixedDelay(CheckIdle.INSTANCE, timeout.dividedBy(2)));
      LocalPartitions.get(context.getSystem()).started(id);
      return new Partition(context, id, settings, topicConfigs, journal, cleaner, tailCaches, shard);
    }));
  }

  private Partition(
      ActorContext<Command> context,
      PartitionId id,
      PartitionSettings settings,
      Function<String, TopicConfig> topicConfigs,
      PartitionJournal journal,
      Executor cleaner,
      TailCacheBudget tailCaches,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), id.entityId()),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.context = context;
    this.id = id;
    this.settings = settings;
    this.topicConfigs = topicConfigs;
    this.journal = journal;
    this.cleaner = cleaner;
    this.tailCache = new TailCache(settings.tailCacheBytes(), tailCaches);
    this.metrics = RunnelMetrics.get(context.getSystem());
    this.shard = shard;
  }

  @Override
  public PartitionState emptyState() {
    return PartitionState.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Snapshots bound recovery to the events after the newest one; their data stays in the journal for reads.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  /**
   * A snapshot right after the log start moves or a compaction completes, so that recovery never needs the events
   * these make obsolete; they are deleted from the journal once that snapshot is stored (see
   * {@link #deleteObsoleteEvents}).
   */
  @Override
  public boolean shouldSnapshot(PartitionState state, PartitionEvent event, long sequenceNr) {
    return event instanceof LogStartOffsetAdvanced || event instanceof LogCompacted;
  }

  @Override
  public SignalHandler<PartitionState> signalHandler() {
    return newSignalHandlerBuilder()
        // A partition that was passivated gets no checks while it sleeps: check as soon as it is back.
        .onSignal(RecoveryCompleted.instance(), state -> {
          context.getSelf().tell(CheckRetention.INSTANCE);
          context.getSelf().tell(CheckCompaction.INSTANCE);
        })
        .onSignal(SnapshotCompleted.class, (state, completed) ->
            deleteObsoleteEvents(state, completed.metadata().sequenceNr()))
        // A stopped (passivated) or restarting partition's cached bytes go back to the node's budget.
        .onSignal(PostStop.instance(), state -> {
          tailCache.clear();
          LocalPartitions.get(context.getSystem()).stopped(id);
        })
        .onSignal(PreRestart.instance(), state -> tailCache.clear())
        .build();
  }

  @Override
  public EventHandler<PartitionState, PartitionEvent> eventHandler() {
    return (state, event) -> state.apply(event, settings.keyIndex());
  }

  @Override
  public CommandHandler<Command, PartitionEvent, PartitionState> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Append.class, used(this::onAppend))
        .onCommand(Flush.class, this::onFlush)
        .onCommand(Fetch.class, used(this::onFetch))
        .onCommand(ReadKey.class, used(this::onReadKey))
        .onCommand(WaitExpired.class, this::onWaitExpired)
        .onCommand(ListOffsets.class, used(this::onListOffsets))
        .onCommand(GetStatus.class, used((state, command) -> {
          command.replyTo().tell(new PartitionStatus(
              state.logStartOffset(), state.logEndOffset(), state.sizeInBytes(), state.lastSequenceNr()));
          return Effect().none();
        }))
        .onCommand(Delete.class, this::onDelete)
        .onCommand(DeleteRecords.class, used(this::onDeleteRecords))
        .onCommand(Wake.class, (state, wake) -> {
          context.getSelf().tell(CheckRetention.INSTANCE);
          context.getSelf().tell(CheckCompaction.INSTANCE);
          wake.replyTo().tell(Done.getInstance());
          return Effect().none();
        })
        .onCommand(WriteTxnMarker.class, used(this::onWriteTxnMarker))
        .onCommand(CheckIdle.class, this::onCheckIdle)
        .onCommand(Stop.class, this::onStop)
        .onCommand(CheckRetention.class, this::onCheckRetention)
        .onCommand(CheckCompaction.class, this::onCheckCompaction)
        .onCommand(CompactionDone.class, this::onCompactionDone)
        .onCommand(CompactionFailed.class, (state, failed) -> {
          compacting = false;
          context.getLog().warn("Partition {}: compaction of offsets {} to {} failed; it is retried at the next check",
              id, failed.plan().logStartOffset(), failed.plan().endOffset() - 1, failed.cause());
          return Effect().none();
        })
        .build();
  }

  /** A command handler that counts as a use of the partition, so an idle partition is one no request reached. */
  private <C extends Command> BiFunction<PartitionState, C, Effect<PartitionEvent, PartitionState>>
      used(BiFunction<PartitionState, C, Effect<PartitionEvent, PartitionState>> handler) {
    return (state, command) -> {
      lastUsed = System.nanoTime();
      return handler.apply(state, command);
    };
  }

  /** Asks the shard to passivate this partition once no request used it for idle-timeout and nothing is under way. */
  private Effect<PartitionEvent, PartitionState> onCheckIdle(PartitionState state, CheckIdle check) {
    Duration timeout = settings.idleTimeout().orElseThrow();
    boolean busy = !pending.isEmpty() || !waiters.isEmpty() || compacting;
    if (!busy && System.nanoTime() - lastUsed >= timeout.toNanos()) {
      context.getLog().debug("Partition {}: unused for {}, passivating", id, timeout);
      shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
    }
    return Effect().none();
  }

  /**
   * Stops, after writing the appends and markers that reached the partition before its shard's stop message (the
   * shard holds back those that come later and starts the partition again for them), and answers waiting fetches
   * with what there is, so their consumers fetch again at once instead of waiting out the request timeout.
   */
  private Effect<PartitionEvent, PartitionState> onStop(PartitionState state, Stop stop) {
    if (!pending.isEmpty()) {
      // Commands are stashed while the group is written, so this comes back after it.
      context.getSelf().tell(stop);
      return onFlush(state, Flush.INSTANCE);
    }
    for (Waiter waiter : waiters.values()) {
      read(state, waiter.fetch());
    }
    waiters.clear();
    return Effect().stop();
  }

  private Effect<PartitionEvent, PartitionState> onAppend(PartitionState state, Append append) {
    if (state.deleted()) {
      append.replyTo().tell(AppendResult.refused(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Partition " + id + " was deleted"));
      return Effect().none();
    }
    pending.add(append);
    scheduleFlush();
    return Effect().none();
  }

  /** A marker joins the group commit like an append, so it is ordered with the producer's batches. */
  private Effect<PartitionEvent, PartitionState> onWriteTxnMarker(PartitionState state, WriteTxnMarker marker) {
    if (state.deleted()) {
      marker.replyTo().tell(new TxnMarkerResult(Errors.UNKNOWN_TOPIC_OR_PARTITION));
      return Effect().none();
    }
    pending.add(marker);
    scheduleFlush();
    return Effect().none();
  }

  private void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      context.getSelf().tell(Flush.INSTANCE);
    }
  }

  private Effect<PartitionEvent, PartitionState> onFlush(PartitionState state, Flush flush) {
    flushScheduled = false;
    if (pending.isEmpty()) {
      return Effect().none();
    }
    List<Command> group = takeGroup();
    if (!pending.isEmpty()) {
      scheduleFlush();
    }
    long now = settings.clock().millis();
    List<LogAppender.Write> writes = new ArrayList<>(group.size());
    for (Command command : group) {
      writes.add(command instanceof WriteTxnMarker marker
          ? new LogAppender.Marker(marker.producerId(), marker.producerEpoch(), marker.coordinatorEpoch(),
              marker.commit(), now)
          : new LogAppender.Data(((Append) command).records(), ((Append) command).condition()));
    }
    TopicConfig config = topicConfigs.apply(id.topic());
    long logAppendTime = config.messageTimestampType() == TimestampType.LOG_APPEND_TIME ? now : RecordBatch.NO_TIMESTAMP;
    LogAppender.Outcome outcome =
        LogAppender.append(state, writes, config.maxMessageBytes(), logAppendTime, settings.keyIndex());
    if (outcome.event().isEmpty()) {
      reply(group, outcome.results());
      return Effect().none();
    }
    RecordsAppended event = outcome.event().get();
    long started = System.nanoTime();
    return Effect().persist(event).thenRun(newState -> {
      metrics.journalWrite(System.nanoTime() - started, group.size(), event.records().length);
      tailCache.add(newState.lastSequenceNr(), event);
      reply(group, outcome.results());
      wakeWaiters(newState);
    });
  }

  /** The oldest pending writes that fit in one journal write (always at least one). */
  private List<Command> takeGroup() {
    List<Command> group = new ArrayList<>();
    int bytes = 0;
    while (!pending.isEmpty()) {
      int size = pending.get(0) instanceof Append append ? append.records().remaining() : MARKER_BYTES;
      if (!group.isEmpty() && bytes + size > settings.maxWriteBytes()) {
        break;
      }
      bytes += size;
      group.add(pending.remove(0));
    }
    return group;
  }

  private static void reply(List<Command> group, List<AppendResult> results) {
    for (int i = 0; i < group.size(); i++) {
      if (group.get(i) instanceof WriteTxnMarker marker) {
        marker.replyTo().tell(new TxnMarkerResult(results.get(i).error()));
      } else {
        ((Append) group.get(i)).replyTo().tell(results.get(i));
      }
    }
  }

  private Effect<PartitionEvent, PartitionState> onFetch(PartitionState state, Fetch fetch) {
    if (state.deleted()) {
      fetch.replyTo().tell(FetchResult.error(Errors.UNKNOWN_TOPIC_OR_PARTITION, -1, -1));
    } else if (fetch.offset() < state.logStartOffset() || fetch.offset() > state.logEndOffset()) {
      fetch.replyTo().tell(
          FetchResult.error(Errors.OFFSET_OUT_OF_RANGE, state.logEndOffset(), state.logStartOffset()));
    } else if (fetch.offset() >= readLimit(state, fetch) && fetch.maxWait().compareTo(Duration.ZERO) > 0) {
      long waiterId = nextWaiterId++;
      waiters.put(waiterId, new Waiter(waiterId, fetch,
          context.scheduleOnce(fetch.maxWait(), context.getSelf(), new WaitExpired(waiterId))));
    } else {
      read(state, fetch);
    }
    return Effect().none();
  }

  /**
   * Reads one key's records: the plan is made here, on the state; the events it names come from the tail cache or,
   * outside this actor, from the journal, and are filtered there too.
   */
  private Effect<PartitionEvent, PartitionState> onReadKey(PartitionState state, ReadKey read) {
    if (state.deleted()) {
      read.replyTo().tell(KeyReadResult.error(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Partition " + id + " was deleted"));
      return Effect().none();
    }
    KeyReader.Plan plan = KeyReader.plan(state, read.key(), read.fromOffset(), settings.keyReadMaxBytes());
    List<Records> cached = new ArrayList<>(plan.events().size());
    List<Long> missing = new ArrayList<>();
    for (IndexEntry entry : plan.events()) {
      Records event = tailCache.get(entry.sequenceNr());
      cached.add(event);
      if (event == null) {
        missing.add(entry.sequenceNr());
      }
    }
    ActorRef<KeyReadResult> replyTo = read.replyTo();
    if (missing.isEmpty()) {
      replyTo.tell(KeyReader.collect(plan, cached));
      return Effect().none();
    }
    journal.read(persistenceId().id(), missing).whenComplete((events, failure) -> {
      if (failure != null || events.size() != missing.size()) {
        // Retention may have deleted events meanwhile: the reader asks again and finds the new log start.
        replyTo.tell(KeyReadResult.error(Errors.KAFKA_STORAGE_ERROR, failure != null ? failure.getMessage()
            : "the journal returned " + events.size() + " of " + missing.size() + " events"));
        return;
      }
      List<Records> all = new ArrayList<>(cached.size());
      int next = 0;
      for (Records event : cached) {
        all.add(event != null ? event : events.get(next++));
      }
      replyTo.tell(KeyReader.collect(plan, all));
    });
    return Effect().none();
  }

  /** The offset a fetch reads below: the last stable offset for READ_COMMITTED, else the high watermark. */
  private static long readLimit(PartitionState state, Fetch fetch) {
    return fetch.readCommitted() ? state.lastStableOffset() : state.logEndOffset();
  }

  private Effect<PartitionEvent, PartitionState> onWaitExpired(PartitionState state, WaitExpired expired) {
    Waiter waiter = waiters.remove(expired.waiterId());
    if (waiter != null) {
      read(state, waiter.fetch());
    }
    return Effect().none();
  }

  /** Answers the waiting fetches that can now read something; a READ_COMMITTED one waits on for the LSO to move. */
  private void wakeWaiters(PartitionState state) {
    if (waiters.isEmpty()) {
      return;
    }
    var it = waiters.values().iterator();
    while (it.hasNext()) {
      Waiter waiter = it.next();
      Fetch fetch = waiter.fetch();
      if (fetch.offset() < readLimit(state, fetch)) {
        it.remove();
        // Nearly every tail consumer's fetch waits and is woken: its timer would be one more message to this actor.
        waiter.expiry().cancel();
        read(state, fetch);
      }
    }
  }

  /** Answers a fetch from the tail cache, or from the journal outside this actor. */
  private void read(PartitionState state, Fetch fetch) {
    OffsetIndex index = state.index();
    long limit = readLimit(state, fetch);
    long highWatermark = state.logEndOffset();
    long lastStableOffset = state.lastStableOffset();
    long logStartOffset = state.logStartOffset();
    int position = index.positionFor(fetch.offset());
    if (position >= index.size() || index.get(position).baseOffset() >= limit) {
      fetch.replyTo().tell(FetchResult.empty(highWatermark, lastStableOffset, logStartOffset));
      return;
    }
    List<AbortedTxn> aborted = fetch.readCommitted() ? state.abortedTxns(fetch.offset(), limit) : List.of();
    List<Records> cached = new ArrayList<>();
    long bytes = 0;
    int end = position;
    while (end < index.size() && index.get(end).baseOffset() < limit && (end == position || bytes < fetch.maxBytes())) {
      IndexEntry entry = index.get(end);
      Records event = tailCache.get(entry.sequenceNr());
      if (event == null) {
        break;
      }
      cached.add(event);
      bytes += entry.sizeInBytes();
      end++;
    }
    if (!cached.isEmpty()) {
      fetch.replyTo().tell(FetchResult.of(highWatermark, lastStableOffset, logStartOffset, aborted,
          slice(cached, fetch.offset(), fetch.maxBytes(), limit)));
      return;
    }
    // Journal events are read whole, so only those that fit in maxBytes together are read (at least one): a read
    // never holds more than the fetch asked for beyond its first event.
    List<Long> sequenceNrs = new ArrayList<>();
    bytes = 0;
    for (int i = position; i < index.size() && index.get(i).baseOffset() < limit; i++) {
      IndexEntry entry = index.get(i);
      if (i > position && bytes + entry.sizeInBytes() > fetch.maxBytes()) {
        break;
      }
      sequenceNrs.add(entry.sequenceNr());
      bytes += entry.sizeInBytes();
    }
    ActorRef<FetchResult> replyTo = fetch.replyTo();
    // Retention may delete these events before the read runs: the fetch then gets no records, and its retry
    // OFFSET_OUT_OF_RANGE, as a Kafka fetch racing a segment deletion does.
    journal.read(persistenceId().id(), sequenceNrs).whenComplete((events, failure) -> {
      if (failure != null) {
        replyTo.tell(FetchResult.error(Errors.KAFKA_STORAGE_ERROR, highWatermark, logStartOffset));
      } else {
        replyTo.tell(FetchResult.of(highWatermark, lastStableOffset, logStartOffset, aborted,
            slice(events, fetch.offset(), fetch.maxBytes(), limit)));
      }
    });
  }

  /**
   * The whole batches of {@code events} from the one holding {@code offset}, up to {@code maxBytes} but at least
   * one batch (KIP-74), so a batch larger than the limit is still delivered, and none from {@code endOffset} on.
   * Runs on any thread.
   */
  static ByteBuffer slice(List<Records> events, long offset, int maxBytes, long endOffset) {
    List<ByteBuffer> parts = new ArrayList<>();
    int total = 0;
    outer:
    for (Records event : events) {
      if (event.lastOffset() < offset) {
        continue;
      }
      int position = 0;
      int runStart = -1;
      int runBytes = 0;
      for (MutableRecordBatch batch : event.memoryRecords().batches()) {
        int size = batch.sizeInBytes();
        if (batch.baseOffset() >= endOffset) {
          addRun(parts, event, runStart, runBytes);
          break outer;
        }
        if (batch.lastOffset() >= offset) {
          if (total > 0 && total + size > maxBytes) {
            addRun(parts, event, runStart, runBytes);
            break outer;
          }
          if (runStart < 0) {
            runStart = position;
          }
          runBytes += size;
          total += size;
        }
        position += size;
      }
      addRun(parts, event, runStart, runBytes);
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    ByteBuffer joined = ByteBuffer.allocate(total);
    for (ByteBuffer part : parts) {
      joined.put(part);
    }
    return joined.flip();
  }

  private static void addRun(List<ByteBuffer> parts, Records event, int start, int length) {
    if (start >= 0 && length > 0) {
      parts.add(ByteBuffer.wrap(event.records(), start, length).slice());
    }
  }

  private Effect<PartitionEvent, PartitionState> onListOffsets(PartitionState state, ListOffsets command) {
    if (state.deleted()) {
      command.replyTo().tell(OffsetLookup.error(Errors.UNKNOWN_TOPIC_OR_PARTITION));
    } else if (command.timestamp() == EARLIEST_TIMESTAMP) {
      command.replyTo().tell(OffsetLookup.of(state.logStartOffset(), -1));
    } else if (command.timestamp() == LATEST_TIMESTAMP) {
      command.replyTo().tell(OffsetLookup.of(command.isolation() == IsolationLevel.READ_COMMITTED
          ? state.lastStableOffset() : state.logEndOffset(), -1));
    } else if (command.timestamp() < 0) {
      command.replyTo().tell(OffsetLookup.error(Errors.UNSUPPORTED_VERSION));
    } else {
      lookupTimestamp(state, command);
    }
    return Effect().none();
  }

  /** The first record at or after the log start whose timestamp is at least the one asked for. */
  private void lookupTimestamp(PartitionState state, ListOffsets command) {
    OffsetIndex index = state.index();
    int position = index.positionForTimestamp(command.timestamp());
    if (position >= index.size()) {
      command.replyTo().tell(OffsetLookup.of(-1, -1));
      return;
    }
    IndexEntry entry = index.get(position);
    long logStartOffset = state.logStartOffset();
    Records cached = tailCache.get(entry.sequenceNr());
    if (cached != null) {
      command.replyTo().tell(findTimestamp(cached, command.timestamp(), logStartOffset));
      return;
    }
    ActorRef<OffsetLookup> replyTo = command.replyTo();
    journal.read(persistenceId().id(), entry.sequenceNr(), entry.sequenceNr()).whenComplete((events, failure) -> {
      if (failure != null || events.isEmpty()) {
        replyTo.tell(OffsetLookup.error(Errors.KAFKA_STORAGE_ERROR));
      } else {
        replyTo.tell(findTimestamp(events.get(0), command.timestamp(), logStartOffset));
      }
    });
  }

  private static OffsetLookup findTimestamp(Records event, long timestamp, long logStartOffset) {
    for (MutableRecordBatch batch : event.memoryRecords().batches()) {
      if (batch.maxTimestamp() < timestamp) {
        continue;
      }
      for (Record record : batch) {
        if (record.offset() >= logStartOffset && record.timestamp() >= timestamp) {
          return OffsetLookup.of(record.offset(), record.timestamp());
        }
      }
    }
    return OffsetLookup.of(-1, -1);
  }

  private Effect<PartitionEvent, PartitionState> onDelete(PartitionState state, Delete delete) {
    if (state.deleted()) {
      delete.replyTo().tell(Done.getInstance());
      return Effect().none();
    }
    return Effect().persist(new PartitionDeleted()).thenRun(newState -> {
      tailCache.clear();
      for (Waiter waiter : waiters.values()) {
        waiter.fetch().replyTo().tell(FetchResult.error(Errors.UNKNOWN_TOPIC_OR_PARTITION, -1, -1));
      }
      waiters.clear();
      String persistenceId = persistenceId().id();
      long lastSequenceNr = newState.lastSequenceNr();
      ActorRef<Done> replyTo = delete.replyTo();
      // The deletion event holds no data, so the row the journal keeps after deleting up to it is empty.
      journal.deleteEventsTo(persistenceId, lastSequenceNr)
          .thenCompose(done -> journal.deleteSnapshotsTo(persistenceId, lastSequenceNr - 1))
          .whenComplete((done, failure) -> {
            if (failure != null) {
              context.getSystem().log().warn("Partition {}: deleting its journal failed", id, failure);
            }
            replyTo.tell(Done.getInstance());
          });
    });
  }

  private Effect<PartitionEvent, PartitionState> onDeleteRecords(PartitionState state, DeleteRecords command) {
    long offset = command.offset() == -1 ? state.logEndOffset() : command.offset();
    if (state.deleted()) {
      command.replyTo().tell(DeleteRecordsResult.error(Errors.UNKNOWN_TOPIC_OR_PARTITION));
      return Effect().none();
    }
    if (!topicConfigs.apply(id.topic()).delete()) {
      // Kafka refuses DeleteRecords where only compaction removes records.
      command.replyTo().tell(DeleteRecordsResult.error(Errors.POLICY_VIOLATION));
      return Effect().none();
    }
    if (offset < 0 || offset > state.logEndOffset()) {
      command.replyTo().tell(DeleteRecordsResult.error(Errors.OFFSET_OUT_OF_RANGE));
      return Effect().none();
    }
    if (offset <= state.logStartOffset()) {
      command.replyTo().tell(DeleteRecordsResult.of(state.logStartOffset()));
      return Effect().none();
    }
    return Effect().persist(new LogStartOffsetAdvanced(offset)).thenRun(newState -> {
      context.getLog().info("Partition {}: log start moved to {} by DeleteRecords", id, newState.logStartOffset());
      command.replyTo().tell(DeleteRecordsResult.of(newState.logStartOffset()));
    });
  }

  private Effect<PartitionEvent, PartitionState> onCheckRetention(PartitionState state, CheckRetention check) {
    TopicConfig config = topicConfigs.apply(id.topic());
    OptionalLong start = LogCleaner.retentionStart(state, config, settings.clock().millis());
    if (start.isEmpty()) {
      return Effect().none();
    }
    return Effect().persist(new LogStartOffsetAdvanced(start.getAsLong())).thenRun(newState ->
        context.getLog().info("Partition {}: retention (retention.ms {}, retention.bytes {}) moved the log start to {}",
            id, config.retentionMs(), config.retentionBytes(), newState.logStartOffset()));
  }

  /**
   * Starts a compaction run when one is due. The actor only decides and persists: reading the range's events
   * (tail cache here, journal outside) and filtering them run on the cleaner executor, while appends and fetches
   * go on. One run at a time per partition.
   */
  private Effect<PartitionEvent, PartitionState> onCheckCompaction(PartitionState state, CheckCompaction check) {
    if (compacting) {
      return Effect().none();
    }
    long now = settings.clock().millis();
    Optional<LogCleaner.Plan> found = LogCleaner.plan(state, topicConfigs.apply(id.topic()), now);
    if (found.isEmpty()) {
      return Effect().none();
    }
    LogCleaner.Plan plan = found.get();
    compacting = true;
    List<Records> cached = new ArrayList<>(plan.entries().size());
    List<Long> missing = new ArrayList<>();
    for (IndexEntry entry : plan.entries()) {
      Records event = tailCache.get(entry.sequenceNr());
      cached.add(event);
      if (event == null) {
        missing.add(entry.sequenceNr());
      }
    }
    int maxEventBytes = settings.maxWriteBytes();
    CompletionStage<LogCleaner.Result> run = journal.read(persistenceId().id(), missing)
        .thenApplyAsync(read -> {
          if (read.size() != missing.size()) {
            throw new IllegalStateException("the journal returned " + read.size() + " of " + missing.size()
                + " events; retention deleted some meanwhile");
          }
          List<Records> events = new ArrayList<>(cached.size());
          int next = 0;
          for (Records event : cached) {
            events.add(event != null ? event : read.get(next++));
          }
          return LogCleaner.compact(plan, events, now, maxEventBytes);
        }, cleaner);
    context.pipeToSelf(run, (result, failure) ->
        failure != null ? new CompactionFailed(plan, failure) : new CompactionDone(plan, result));
    return Effect().none();
  }

  /**
   * Persists a finished run, if the range it compacted is still exactly as planned: retention or DeleteRecords may
   * have moved the log start meanwhile (appends only add after it). The replacements and the completion go in one
   * atomic write, so a restart sees the whole run or none of it; the replaced events stay in the journal until the
   * snapshot after this write is stored.
   */
  private Effect<PartitionEvent, PartitionState> onCompactionDone(PartitionState state, CompactionDone done) {
    compacting = false;
    LogCleaner.Plan plan = done.plan();
    OffsetIndex index = state.index();
    boolean unchanged = state.logStartOffset() == plan.logStartOffset()
        && index.size() >= plan.entries().size()
        && index.toList().subList(0, plan.entries().size()).equals(plan.entries());
    if (!unchanged) {
      context.getLog().debug("Partition {}: the log changed during compaction; the run is dropped", id);
      return Effect().none();
    }
    LogCleaner.Result result = done.result();
    List<PartitionEvent> events = new ArrayList<>(result.replacements());
    if (events.isEmpty()
        && result.completion().firstDirtyOffset() <= state.firstDirtyOffset()
        && result.completion().oldestTombstoneTimestamp() == state.oldestTombstoneTimestamp()) {
      return Effect().none();
    }
    events.add(result.completion());
    long sizeBefore = state.sizeInBytes();
    return Effect().persist(events).thenRun(newState ->
        context.getLog().info("Partition {}: compacted offsets {} to {}: {} bytes before, {} after",
            id, plan.logStartOffset(), plan.endOffset() - 1, sizeBefore, newState.sizeInBytes()));
  }

  /**
   * Deletes the journal events that neither recovery nor fetches need any more: those below the newest snapshot
   * (recovery starts from it) and below every event the offset index still refers to. After compaction the index
   * can refer to an old event beside a new one (a compacted event holds low offsets at a high sequence number), so
   * only the prefix below the lowest referenced sequence number goes; the rest goes once retention or a later
   * compaction releases that event. pekko-persistence-jdbc keeps the row of the highest deleted number, marked
   * deleted. Snapshots older than this one go too.
   */
  private void deleteObsoleteEvents(PartitionState state, long snapshotSequenceNr) {
    if (state.deleted()) {
      return;
    }
    long upTo = Math.min(snapshotSequenceNr, state.index().minSequenceNr() - 1);
    if (upTo <= 0) {
      return;
    }
    String persistenceId = persistenceId().id();
    journal.deleteEventsTo(persistenceId, upTo)
        .thenCompose(deleted -> journal.deleteSnapshotsTo(persistenceId, snapshotSequenceNr - 1))
        .whenComplete((deleted, failure) -> {
          if (failure != null) {
            context.getSystem().log().warn("Partition {}: deleting journal events up to {} failed; the next "
                + "snapshot retries", id, upTo, failure);
          }
        });
  }
}
