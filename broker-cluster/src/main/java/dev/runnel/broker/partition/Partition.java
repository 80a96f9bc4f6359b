package dev.runnel.broker.partition;

import dev.runnel.broker.topic.TopicConfig;
import dev.runnel.persistence.IndexEntry;
import dev.runnel.persistence.OffsetIndex;
import dev.runnel.persistence.PartitionEvent;
import dev.runnel.persistence.PartitionEvent.PartitionDeleted;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import dev.runnel.persistence.PartitionJournal;
import dev.runnel.persistence.PartitionState;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

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
 * <p>The fields below are runtime state that is rebuilt, not recovered: the pending group, the tail cache and the
 * waiting fetches. They are touched only by this actor.
 */
public final class Partition extends EventSourcedBehavior<Partition.Command, PartitionEvent, PartitionState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "partition");

  /** Kafka's ListOffsets timestamps that ask for the earliest and latest offsets. */
  public static final long EARLIEST_TIMESTAMP = -2L;
  public static final long LATEST_TIMESTAMP = -1L;

  public sealed interface Command {}

  /** Appends record batches (one producer request's data for this partition). */
  public record Append(ByteBuffer records, ActorRef<AppendResult> replyTo) implements Command {}

  /**
   * Reads batches from {@code offset}, at most {@code maxBytes} (but at least one whole batch); at the log end
   * waits up to {@code maxWait} for data.
   */
  public record Fetch(long offset, int maxBytes, Duration maxWait, ActorRef<FetchResult> replyTo)
      implements Command {}

  /** Kafka's ListOffsets: {@link #EARLIEST_TIMESTAMP}, {@link #LATEST_TIMESTAMP} or a record timestamp. */
  public record ListOffsets(long timestamp, ActorRef<OffsetLookup> replyTo) implements Command {}

  public record GetStatus(ActorRef<PartitionStatus> replyTo) implements Command {}

  /** Deletes the log for good: its topic was deleted. */
  public record Delete(ActorRef<Done> replyTo) implements Command {}

  private enum Flush implements Command {
    INSTANCE
  }

  private record WaitExpired(long waiterId) implements Command {}

  private record Waiter(long id, Fetch fetch) {}

  private final ActorContext<Command> context;
  private final PartitionId id;
  private final PartitionSettings settings;
  private final Function<String, TopicConfig> topicConfigs;
  private final PartitionJournal journal;
  private final TailCache tailCache;
  private final List<Append> pending = new ArrayList<>();
  private final Map<Long, Waiter> waiters = new HashMap<>();
  private boolean flushScheduled;
  private long nextWaiterId;

  /**
   * The entity's behavior.
   *
   * @param topicConfigs the effective configuration of a topic by name, read at every append so config changes
   *     apply without a restart
   */
  public static Behavior<Command> create(
      PartitionId id,
      PartitionSettings settings,
      Function<String, TopicConfig> topicConfigs,
      PartitionJournal journal) {
    return Behaviors.setup(context -> new Partition(context, id, settings, topicConfigs, journal));
  }

  private Partition(
      ActorContext<Command> context,
      PartitionId id,
      PartitionSettings settings,
      Function<String, TopicConfig> topicConfigs,
      PartitionJournal journal) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), id.entityId()),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.context = context;
    this.id = id;
    this.settings = settings;
    this.topicConfigs = topicConfigs;
    this.journal = journal;
    this.tailCache = new TailCache(settings.tailCacheBytes());
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

  @Override
  public EventHandler<PartitionState, PartitionEvent> eventHandler() {
    return PartitionState::apply;
  }

  @Override
  public CommandHandler<Command, PartitionEvent, PartitionState> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Append.class, this::onAppend)
        .onCommand(Flush.class, this::onFlush)
        .onCommand(Fetch.class, this::onFetch)
        .onCommand(WaitExpired.class, this::onWaitExpired)
        .onCommand(ListOffsets.class, this::onListOffsets)
        .onCommand(GetStatus.class, (state, command) -> {
          command.replyTo().tell(new PartitionStatus(
              state.logStartOffset(), state.logEndOffset(), state.sizeInBytes(), state.lastSequenceNr()));
          return Effect().none();
        })
        .onCommand(Delete.class, this::onDelete)
        .build();
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
    List<Append> group = takeGroup();
    if (!pending.isEmpty()) {
      scheduleFlush();
    }
    List<ByteBuffer> records = new ArrayList<>(group.size());
    for (Append append : group) {
      records.add(append.records());
    }
    LogAppender.Outcome outcome =
        LogAppender.append(state, records, topicConfigs.apply(id.topic()).maxMessageBytes());
    if (outcome.event().isEmpty()) {
      reply(group, outcome.results());
      return Effect().none();
    }
    RecordsAppended event = outcome.event().get();
    return Effect().persist(event).thenRun(newState -> {
      tailCache.add(newState.lastSequenceNr(), event);
      reply(group, outcome.results());
      wakeWaiters(newState);
    });
  }

  /** The oldest pending appends that fit in one journal write (always at least one). */
  private List<Append> takeGroup() {
    List<Append> group = new ArrayList<>();
    int bytes = 0;
    while (!pending.isEmpty()) {
      int size = pending.get(0).records().remaining();
      if (!group.isEmpty() && bytes + size > settings.maxWriteBytes()) {
        break;
      }
      bytes += size;
      group.add(pending.remove(0));
    }
    return group;
  }

  private static void reply(List<Append> group, List<AppendResult> results) {
    for (int i = 0; i < group.size(); i++) {
      group.get(i).replyTo().tell(results.get(i));
    }
  }

  private Effect<PartitionEvent, PartitionState> onFetch(PartitionState state, Fetch fetch) {
    if (state.deleted()) {
      fetch.replyTo().tell(FetchResult.error(Errors.UNKNOWN_TOPIC_OR_PARTITION, -1, -1));
    } else if (fetch.offset() < state.logStartOffset() || fetch.offset() > state.logEndOffset()) {
      fetch.replyTo().tell(
          FetchResult.error(Errors.OFFSET_OUT_OF_RANGE, state.logEndOffset(), state.logStartOffset()));
    } else if (fetch.offset() == state.logEndOffset() && fetch.maxWait().compareTo(Duration.ZERO) > 0) {
      long waiterId = nextWaiterId++;
      waiters.put(waiterId, new Waiter(waiterId, fetch));
      context.scheduleOnce(fetch.maxWait(), context.getSelf(), new WaitExpired(waiterId));
    } else {
      read(state, fetch);
    }
    return Effect().none();
  }

  private Effect<PartitionEvent, PartitionState> onWaitExpired(PartitionState state, WaitExpired expired) {
    Waiter waiter = waiters.remove(expired.waiterId());
    if (waiter != null) {
      read(state, waiter.fetch());
    }
    return Effect().none();
  }

  private void wakeWaiters(PartitionState state) {
    if (waiters.isEmpty()) {
      return;
    }
    for (Waiter waiter : waiters.values()) {
      read(state, waiter.fetch());
    }
    waiters.clear();
  }

  /** Answers a fetch from the tail cache, or from the journal outside this actor. */
  private void read(PartitionState state, Fetch fetch) {
    OffsetIndex index = state.index();
    int position = index.positionFor(fetch.offset());
    if (position >= index.size()) {
      fetch.replyTo().tell(FetchResult.empty(state.logEndOffset(), state.logStartOffset()));
      return;
    }
    List<RecordsAppended> cached = new ArrayList<>();
    long bytes = 0;
    int end = position;
    while (end < index.size() && (end == position || bytes < fetch.maxBytes())) {
      IndexEntry entry = index.get(end);
      RecordsAppended event = tailCache.get(entry.sequenceNr());
      if (event == null) {
        break;
      }
      cached.add(event);
      bytes += entry.sizeInBytes();
      end++;
    }
    long highWatermark = state.logEndOffset();
    long logStartOffset = state.logStartOffset();
    if (!cached.isEmpty()) {
      fetch.replyTo().tell(FetchResult.of(highWatermark, logStartOffset,
          slice(cached, fetch.offset(), fetch.maxBytes())));
      return;
    }
    long from = index.get(position).sequenceNr();
    long to = from;
    bytes = 0;
    for (int i = position; i < index.size() && (i == position || bytes < fetch.maxBytes()); i++) {
      to = index.get(i).sequenceNr();
      bytes += index.get(i).sizeInBytes();
    }
    ActorRef<FetchResult> replyTo = fetch.replyTo();
    journal.read(persistenceId().id(), from, to).whenComplete((events, failure) -> {
      if (failure != null) {
        replyTo.tell(FetchResult.error(Errors.KAFKA_STORAGE_ERROR, highWatermark, logStartOffset));
      } else {
        replyTo.tell(FetchResult.of(highWatermark, logStartOffset, slice(events, fetch.offset(), fetch.maxBytes())));
      }
    });
  }

  /**
   * The whole batches of {@code events} from the one holding {@code offset}, up to {@code maxBytes} but at least
   * one batch (KIP-74), so a batch larger than the limit is still delivered. Runs on any thread.
   */
  static ByteBuffer slice(List<RecordsAppended> events, long offset, int maxBytes) {
    List<ByteBuffer> parts = new ArrayList<>();
    int total = 0;
    outer:
    for (RecordsAppended event : events) {
      if (event.lastOffset() < offset) {
        continue;
      }
      int position = 0;
      int runStart = -1;
      int runBytes = 0;
      for (MutableRecordBatch batch : event.memoryRecords().batches()) {
        int size = batch.sizeInBytes();
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

  private static void addRun(List<ByteBuffer> parts, RecordsAppended event, int start, int length) {
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
      command.replyTo().tell(OffsetLookup.of(state.logEndOffset(), -1));
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
    RecordsAppended cached = tailCache.get(entry.sequenceNr());
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

  private static OffsetLookup findTimestamp(RecordsAppended event, long timestamp, long logStartOffset) {
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
}
