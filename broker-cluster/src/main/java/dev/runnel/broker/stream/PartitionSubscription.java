package dev.runnel.broker.stream;

import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.metrics.RunnelMetrics;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.client.internal.Protocol;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's side of one subscription: a source that first says Subscribed, then reads the partition with
 * long-polling fetches, one frame per credit. It reads only while it holds credit, so a client that grants none
 * stops the reading of the partition; and since it reads only when pulled, a connection that does not drain
 * stops it too. An error that retrying cannot fix ends it with an Error frame. At READ_COMMITTED it reads below the
 * last stable offset only; at either level the batches a consumer would not see (transaction markers, aborted
 * transactions) are left out of the frames, which carry the rest as they were stored.
 *
 * <p>The unfold state is the next offset to read; {@link #END} after an error frame. Thread-safe.
 */
final class PartitionSubscription {

  private static final Logger log = LoggerFactory.getLogger(PartitionSubscription.class);
  private static final long END = Long.MIN_VALUE;
  private static final Duration RETRY_DELAY = Duration.ofMillis(100);

  private final Broker broker;
  private final SubscriptionStats stats;
  private final int maxFrameBytes;
  private final Duration maxWait;
  private final IsolationLevel isolation;
  private CompletableFuture<Done> creditWaiter;
  private volatile boolean cancelled;

  /**
   * A subscription that takes credit at once, while its partition and start offset are still being looked up, so
   * credit sent right behind Subscribe is never lost.
   */
  PartitionSubscription(Broker broker, SubscriptionStats stats, int maxFrameBytes, Duration maxWait,
      IsolationLevel isolation) {
    this.broker = broker;
    this.stats = stats;
    this.maxFrameBytes = maxFrameBytes;
    this.maxWait = maxWait;
    this.isolation = isolation;
  }

  SubscriptionStats stats() {
    return stats;
  }

  /** Says Subscribed, then the partition's records from {@code startOffset}, as far as credit goes. */
  Source<Outgoing, NotUsed> source(PartitionId partition, long startOffset) {
    Outgoing subscribed = Outgoing.answer(
        Protocol.encode(new Protocol.Subscribed(stats.subscriptionId(), startOffset)));
    return Source.single(subscribed)
        .concat(Source.unfoldAsync(startOffset, offset -> next(partition, offset)));
  }

  boolean isCancelled() {
    return cancelled;
  }

  void grant(int frames) {
    CompletableFuture<Done> waiter;
    synchronized (this) {
      stats.granted(frames);
      waiter = creditWaiter;
      creditWaiter = null;
    }
    if (waiter != null) {
      waiter.complete(Done.getInstance());
    }
  }

  void cancel() {
    cancelled = true;
    grant(0);
  }

  private synchronized CompletionStage<Done> credit() {
    if (stats.hasCredit() || cancelled) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    creditWaiter = new CompletableFuture<>();
    return creditWaiter;
  }

  private CompletionStage<Optional<Pair<Long, Outgoing>>> next(PartitionId partition, long offset) {
    if (offset == END) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return credit().thenCompose(ready -> cancelled
        ? CompletableFuture.completedFuture(Optional.empty())
        : read(partition, offset));
  }

  /** Fetches until there is something to send: an empty long poll at the log end simply polls again. */
  private CompletionStage<Optional<Pair<Long, Outgoing>>> read(PartitionId partition, long offset) {
    return broker.fetch(partition, offset, maxFrameBytes, maxWait, isolation).thenCompose(result -> {
      if (cancelled) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      if (result.error() != Errors.NONE) {
        if (result.error().exception() instanceof RetriableException) {
          log.debug("{}: fetch at {} failed with {}, retrying", stats, offset, result.error());
          return Patterns.after(RETRY_DELAY, system().classicSystem().scheduler(),
              system().executionContext(), () -> read(partition, offset));
        }
        log.info("{}: ended by {} at offset {}", stats, result.error(), offset);
        ByteString error = Protocol.encode(new Protocol.Error(stats.subscriptionId(), result.error().code(),
            "fetch of " + partition + " at offset " + offset + " failed: " + result.error().message()));
        return CompletableFuture.completedFuture(Optional.of(Pair.create(END, Outgoing.answer(error))));
      }
      ByteBuffer records = result.records();
      if (!records.hasRemaining()) {
        return read(partition, offset);
      }
      long next = offset;
      boolean allVisible = true;
      for (MutableRecordBatch batch : MemoryRecords.readableRecords(records.duplicate()).batches()) {
        next = batch.nextOffset();
        allVisible &= result.isVisible(batch);
      }
      ByteString visible = allVisible ? view(records) : visibleBatches(result);
      if (visible.isEmpty()) {
        // Only markers or aborted data: nothing to send, read on after them.
        return read(partition, next);
      }
      RunnelMetrics.get(system()).recordsOut(partition, visible.asByteBuffer(), offset);
      ByteString frame = Protocol.encode(new Protocol.Records(stats.subscriptionId(), result.highWatermark(),
          visible));
      stats.read(frame.size());
      return CompletableFuture.completedFuture(
          Optional.of(Pair.create(next, new Outgoing(frame, stats))));
    });
  }

  /**
   * The bytes of a fetch result as a ByteString without copying them: they are the partition's, never written
   * ({@link dev.runnel.broker.partition.FetchResult#records}), and the frame only refers to them until it is sent.
   */
  private static ByteString view(ByteBuffer records) {
    if (!records.hasArray()) {
      return ByteString.fromByteBuffer(records);
    }
    return ByteString.fromArrayUnsafe(records.array(), records.arrayOffset() + records.position(), records.remaining());
  }

  /** The batches of a fetch a consumer sees, without the markers and aborted transactions between them. */
  private static ByteString visibleBatches(FetchResult result) {
    ByteString visible = ByteString.emptyByteString();
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(result.records()).batches()) {
      if (result.isVisible(batch)) {
        ByteBuffer bytes = ByteBuffer.allocate(batch.sizeInBytes());
        batch.writeTo(bytes);
        visible = visible.concat(ByteString.fromByteBuffer(bytes.flip()));
      }
    }
    return visible;
  }

  private ActorSystem<?> system() {
    return broker.system();
  }
}
