package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.metrics.RunnelMetrics;
import dev.runnel.broker.memory.ReadLease;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.persistence.AbortedTxn;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.AbortedTransaction;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;

/**
 * Fetch, as Kafka serves a consumer: every partition is read at once; when that yields fewer than min_bytes and
 * max_wait_ms allows, every partition long-polls and the response goes out as soon as one of them has data (or the
 * wait ends). A fetch of a single partition (a consumer of one partition, the common case) asks it once, its long
 * poll answering at once when there is data. The response holds at most max_bytes, but always the first batch found, so a batch larger than the
 * limits still makes progress. Incremental fetch sessions (KIP-227) are kept by {@link FetchSessions}: an
 * incremental fetch reads all of its session's partitions and answers those with something new. A read_committed
 * fetch (its isolation_level) reads each partition only below its last stable offset and is told the aborted
 * transactions of the range it read, so the consumer drops their records; both isolation levels are told the last
 * stable offset.
 *
 * <p><b>Read memory.</b> Before reading, a fetch reserves in its connection's lease min(max_bytes, the sum of its
 * partitions' max bytes), lowered to the connection's bound, and waits while that is not free
 * ({@code runnel.broker.fetch}); a max_bytes above the connection's bound is served as that bound. Once built, the
 * lease is resized to the record bytes the response holds, and it is released when the response has been written.
 *
 * <p>Each partition is answered on its own: one that has not answered the first read by max_wait, and at least
 * {@link #FIRST_READ_DEADLINE} after the request came, goes into the response as {@link #LATE} (no records, no
 * error, high watermark -1), and one that has not answered its long poll shortly after the wait keeps what its
 * first read said; so a slow or moving partition never holds back the others. When no other partition has anything
 * to send by then, the late ones are waited for up to the partition request timeout instead: a large read from the
 * journal finishes rather than being thrown away and asked for again. Kafka consumers skip the unknown
 * (negative) offsets and fetch that partition again; an error code such as REQUEST_TIMED_OUT is no choice, as
 * their fetcher throws on codes it does not expect.
 */
final class FetchHandler implements RequestHandler {

  /** Fetch v13 (KIP-516) names topics by id. */
  private static final short FIRST_VERSION_WITH_TOPIC_IDS = 13;

  /** The answer for a partition that did not answer in time. */
  private static final FetchResult LATE = FetchResult.empty(-1, -1);

  /**
   * The least time the first read of every partition is waited for, however short max_wait is: long enough for a
   * partition on another node, or one read from the journal, to answer in every case but a slow or moving one
   * (whose answer is wasted: the next fetch reads again).
   */
  private static final Duration FIRST_READ_DEADLINE = Duration.ofSeconds(1);

  /**
   * Partitions answer a long poll when its wait is up; one that has not a moment later is late. Being late costs
   * the client nothing but another fetch of that partition.
   */
  private static final Duration LONG_POLL_GRACE = Duration.ofMillis(200);

  private final Broker broker;
  private final RunnelMetrics metrics;
  private final FetchSessions sessions;

  FetchHandler(Broker broker, FetchSessions sessions) {
    this.broker = broker;
    this.metrics = RunnelMetrics.get(broker.system());
    this.sessions = sessions;
  }

  /** One partition of the request: where it reads, or the error it is answered with. */
  private record Wanted(FetchTopic topic, FetchPartition partition, PartitionId id, Errors error) {}

  @Override
  public CompletionStage<AbstractResponse> handle(KafkaRequest request) {
    FetchRequest fetch = (FetchRequest) request.body();
    FetchRequestData body = fetch.data();
    FetchSessions.Context session = sessions.open(body);
    if (session.error() != Errors.NONE) {
      return CompletableFuture.completedFuture(FetchResponse.of(new FetchResponseData()
          .setErrorCode(session.error().code())
          .setSessionId(FetchMetadata.INVALID_SESSION_ID)));
    }
    boolean byId = request.version() >= FIRST_VERSION_WITH_TOPIC_IDS;
    List<Wanted> wanted = new ArrayList<>();
    for (FetchTopic topic : session.topics()) {
      Optional<TopicMetadata> metadata = byId ? TopicIds.find(broker, topic.topicId()) : broker.topic(topic.topic());
      for (FetchPartition partition : topic.partitions()) {
        wanted.add(wanted(topic, partition, metadata, byId));
      }
    }
    // What this response may hold: no more than max_bytes, nor than its partitions may send together.
    long partitionsMax = partitionsMaxBytes(wanted);
    long wantedBytes = Math.min(Math.max(0, fetch.maxBytes()), partitionsMax);
    ReadLease lease = request.lease();
    // The response is bounded as the client asked, lowered to what one lease may hold (the connection's bound).
    int maxBytes = (int) Math.min(Math.max(0, fetch.maxBytes()), lease.maxBytes());
    return lease.reserve(wantedBytes).thenCompose(reserved -> {
      // When the partitions' own limits do not fit in the reservation together, each gets an equal share of it.
      int share = partitionsMax <= reserved ? maxBytes : (int) Math.max(1, reserved / Math.max(1, wanted.size()));
      return serve(fetch, wanted, maxBytes, share, byId).thenApply(response -> {
        session.respond(response.data());
        // A first batch beyond a partition's limit (KIP-74) may make it more than reserved: counted all the same.
        lease.resize(recordBytes(response.data()));
        return (AbstractResponse) response;
      });
    });
  }

  /**
   * Reads and long-polls within {@code maxBytes}, each partition up to its own limit and {@code share}, so that the
   * bytes read stay within the reservation (but for the first batch of a partition, which is sent whatever its
   * size, KIP-74). The partitions read at once rather than in turn, so that one which cannot answer holds back no
   * other.
   */
  private CompletionStage<FetchResponse> serve(
      FetchRequest fetch, List<Wanted> wanted, int maxBytes, int share, boolean byId) {
    long start = System.nanoTime();
    Duration maxWait = Duration.ofMillis(Math.max(0, fetch.maxWait()));
    if (wanted.size() == 1 && wanted.get(0).id() != null) {
      // One partition: its long poll answers at once when it has data and otherwise waits for data up to max_wait,
      // which is all that the first read and the long poll below do together, in one ask instead of two. With
      // nothing else to send it is waited for up to its own deadline, and a partition that did not answer by then
      // is late, not an error.
      return read(wanted.get(0), share, maxWait, fetch.isolationLevel())
          .thenApply(result -> response(fetch, wanted,
              List.of(result.error() == Errors.REQUEST_TIMED_OUT ? LATE : result), maxBytes, byId));
    }
    Duration firstReadDeadline = maxWait.compareTo(FIRST_READ_DEADLINE) > 0 ? maxWait : FIRST_READ_DEADLINE;
    List<CompletableFuture<FetchResult>> reads = read(wanted, i -> share, Duration.ZERO, fetch.isolationLevel());
    CompletableFuture<List<FetchResult>> immediate = allOrLate(reads, firstReadDeadline).thenCompose(results ->
        // With nothing else to send, a partition still reading (a large read from the journal) is worth waiting
        // for, up to its own deadline: answering it empty would only have the client ask for the same read again.
        isLate(results) && bytes(results) == 0 && !hasError(results)
            ? allOrLate(reads, broker.partitionTimeout())
            : CompletableFuture.completedFuture(results));
    return immediate.thenCompose(results -> {
      Duration left = maxWait.minusNanos(System.nanoTime() - start);
      if (isLate(results) || left.isNegative() || left.isZero() || bytes(results) >= fetch.minBytes() || hasError(results)) {
        return CompletableFuture.completedFuture(response(fetch, wanted, results, maxBytes, byId));
      }
      return longPoll(wanted, share, left, results, fetch.isolationLevel())
          .thenApply(polled -> response(fetch, wanted, polled, maxBytes, byId));
    });
  }

  private static boolean isLate(List<FetchResult> results) {
    return results.stream().anyMatch(result -> result == LATE);
  }

  /** Completes when every read has, or at the deadline, whichever comes first. */
  private static CompletableFuture<Void> allOrDeadline(List<CompletableFuture<FetchResult>> reads, Duration deadline) {
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .completeOnTimeout(null, deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * The reads' results so far: a read not done yet, or timed out in {@link Broker#fetch}, keeps its entry of
   * {@code otherwise}.
   */
  private static List<FetchResult> answered(List<CompletableFuture<FetchResult>> reads, List<FetchResult> otherwise) {
    List<FetchResult> results = new ArrayList<>(otherwise);
    for (int i = 0; i < reads.size(); i++) {
      CompletableFuture<FetchResult> read = reads.get(i);
      if (read.isDone() && !read.isCompletedExceptionally()
          && read.join().error() != Errors.REQUEST_TIMED_OUT) {
        results.set(i, read.join());
      }
    }
    return results;
  }

  private Wanted wanted(FetchTopic topic, FetchPartition partition, Optional<TopicMetadata> metadata, boolean byId) {
    if (metadata.isEmpty()) {
      return new Wanted(topic, partition, null, byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }
    Errors epoch = KafkaNode.checkLeaderEpoch(partition.currentLeaderEpoch());
    if (epoch != Errors.NONE) {
      return new Wanted(topic, partition, null, epoch);
    }
    try {
      return new Wanted(topic, partition, Broker.partition(metadata.get(), partition.partition()), Errors.NONE);
    } catch (RuntimeException e) {
      return new Wanted(topic, partition, null, KafkaErrors.code(e));
    }
  }

  private List<CompletableFuture<FetchResult>> read(
      List<Wanted> wanted, IntUnaryOperator responseMaxBytes, Duration maxWait, IsolationLevel isolation) {
    List<CompletableFuture<FetchResult>> reads = new ArrayList<>(wanted.size());
    for (int i = 0; i < wanted.size(); i++) {
      reads.add(read(wanted.get(i), responseMaxBytes.applyAsInt(i), maxWait, isolation));
    }
    return reads;
  }

  private CompletableFuture<FetchResult> read(
      Wanted want, int responseMaxBytes, Duration maxWait, IsolationLevel isolation) {
    if (want.id() == null) {
      return CompletableFuture.completedFuture(FetchResult.error(want.error(), -1, -1));
    }
    FetchPartition partition = want.partition();
    int maxBytes = Math.max(1, Math.min(partition.partitionMaxBytes(), responseMaxBytes));
    return broker.fetch(want.id(), partition.fetchOffset(), maxBytes, maxWait, isolation).toCompletableFuture();
  }

  /** The reads' results once all are done, or at the deadline with {@link #LATE} for those that are not. */
  private static CompletableFuture<List<FetchResult>> allOrLate(
      List<CompletableFuture<FetchResult>> reads, Duration deadline) {
    return allOrDeadline(reads, deadline)
        .thenApply(done -> answered(reads, reads.stream().map(read -> LATE).toList()));
  }

  /**
   * Every partition long-polls; the first to bring data ends the wait. Partitions still waiting keep the result of
   * the first read, which said they had nothing.
   */
  private CompletionStage<List<FetchResult>> longPoll(
      List<Wanted> wanted, int partitionShare, Duration maxWait, List<FetchResult> first, IsolationLevel isolation) {
    List<CompletableFuture<FetchResult>> polls = read(wanted, i -> partitionShare, maxWait, isolation);
    CompletableFuture<Void> anyData = new CompletableFuture<>();
    for (CompletableFuture<FetchResult> poll : polls) {
      poll.thenAccept(result -> {
        if (result.records().hasRemaining() || result.error() != Errors.NONE) {
          anyData.complete(null);
        }
      });
    }
    CompletableFuture<Void> allDone = allOrDeadline(polls, maxWait.plus(LONG_POLL_GRACE));
    return CompletableFuture.anyOf(anyData, allDone).handle((done, failure) -> answered(polls, first));
  }

  private FetchResponse response(
      FetchRequest fetch, List<Wanted> wanted, List<FetchResult> results, int maxBytes, boolean byId) {
    FetchResponseData data = new FetchResponseData()
        .setErrorCode(Errors.NONE.code())
        .setSessionId(FetchMetadata.INVALID_SESSION_ID);
    boolean readCommitted = fetch.isolationLevel() == IsolationLevel.READ_COMMITTED;
    int budget = maxBytes;
    boolean anyRecords = false;
    FetchableTopicResponse current = null;
    for (int i = 0; i < wanted.size(); i++) {
      Wanted want = wanted.get(i);
      FetchResult result = results.get(i);
      if (i == 0 || wanted.get(i - 1).topic() != want.topic()) {
        current = new FetchableTopicResponse()
            .setTopic(byId ? "" : want.topic().topic())
            .setTopicId(byId ? want.topic().topicId() : Uuid.ZERO_UUID);
        data.responses().add(current);
      }
      // The first batch is sent whatever its size; after it, max_bytes bounds the response (KIP-74).
      MemoryRecords records = wholeBatchesWithin(result.records(), Math.max(budget, 0), !anyRecords);
      if (records.sizeInBytes() > 0) {
        anyRecords = true;
        budget -= records.sizeInBytes();
        metrics.recordsOut(want.id(), records.buffer(), want.partition().fetchOffset());
      }
      current.partitions().add(new PartitionData()
          .setPartitionIndex(want.partition().partition())
          .setErrorCode(result.error().code())
          .setHighWatermark(result.highWatermark())
          .setLastStableOffset(result.lastStableOffset())
          .setLogStartOffset(result.logStartOffset())
          .setAbortedTransactions(readCommitted ? abortedTransactions(result) : null)
          .setPreferredReadReplica(-1)
          .setRecords(records));
    }
    return FetchResponse.of(data);
  }

  private static List<AbortedTransaction> abortedTransactions(FetchResult result) {
    List<AbortedTransaction> aborted = new ArrayList<>(result.abortedTransactions().size());
    for (AbortedTxn txn : result.abortedTransactions()) {
      aborted.add(new AbortedTransaction().setProducerId(txn.producerId()).setFirstOffset(txn.firstOffset()));
    }
    return aborted;
  }

  /** The leading whole batches of {@code records} that fit in {@code limit} bytes, or the first one if asked. */
  private static MemoryRecords wholeBatchesWithin(ByteBuffer records, int limit, boolean atLeastOne) {
    MemoryRecords all = MemoryRecords.readableRecords(records);
    if (all.sizeInBytes() <= limit) {
      return all;
    }
    int size = 0;
    for (RecordBatch batch : all.batches()) {
      if (size + batch.sizeInBytes() > limit && !(atLeastOne && size == 0)) {
        break;
      }
      size += batch.sizeInBytes();
    }
    ByteBuffer slice = records.duplicate();
    slice.limit(slice.position() + size);
    return MemoryRecords.readableRecords(slice.slice());
  }

  private static long partitionsMaxBytes(List<Wanted> wanted) {
    long total = 0;
    for (Wanted want : wanted) {
      if (want.id() != null) {
        total += Math.max(0, want.partition().partitionMaxBytes());
      }
    }
    return total;
  }

  /** The record bytes a response holds: what its lease must count until it is written. */
  private static long recordBytes(FetchResponseData data) {
    long total = 0;
    for (FetchableTopicResponse topic : data.responses()) {
      for (PartitionData partition : topic.partitions()) {
        total += partition.records() == null ? 0 : partition.records().sizeInBytes();
      }
    }
    return total;
  }

  private static long bytes(List<FetchResult> results) {
    long total = 0;
    for (FetchResult result : results) {
      total += result.records().remaining();
    }
    return total;
  }

  private static boolean hasError(List<FetchResult> results) {
    for (FetchResult result : results) {
      if (result.error() != Errors.NONE) {
        return true;
      }
    }
    return false;
  }
}
