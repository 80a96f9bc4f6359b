package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
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
 * wait ends). The response holds at most max_bytes, but always the first batch found, so a batch larger than the
 * limits still makes progress. Fetch sessions (KIP-227) are not kept: the response's session id 0 tells the client
 * to send full fetch requests. Read-committed consumers see everything, as there are no transactions here.
 *
 * <p>Each partition is answered on its own: one that has not answered the first read by max_wait, and at least
 * {@link #FIRST_READ_DEADLINE} after the request came, goes into the response as {@link #LATE} (no records, no
 * error, high watermark -1), and one that has not answered its long poll shortly after the wait keeps what its
 * first read said; so a slow or moving partition never holds back the others. Kafka consumers skip the unknown
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

  FetchHandler(Broker broker) {
    this.broker = broker;
  }

  /** One partition of the request: where it reads, or the error it is answered with. */
  private record Wanted(FetchTopic topic, FetchPartition partition, PartitionId id, Errors error) {}

  @Override
  public CompletionStage<AbstractResponse> handle(KafkaRequest request) {
    FetchRequest fetch = (FetchRequest) request.body();
    FetchRequestData body = fetch.data();
    if (body.sessionId() != FetchMetadata.INVALID_SESSION_ID) {
      return CompletableFuture.completedFuture(FetchResponse.of(new FetchResponseData()
          .setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code())
          .setSessionId(FetchMetadata.INVALID_SESSION_ID)));
    }
    boolean byId = request.version() >= FIRST_VERSION_WITH_TOPIC_IDS;
    List<Wanted> wanted = new ArrayList<>();
    for (FetchTopic topic : body.topics()) {
      Optional<TopicMetadata> metadata = byId ? TopicIds.find(broker, topic.topicId()) : broker.topic(topic.topic());
      for (FetchPartition partition : topic.partitions()) {
        wanted.add(wanted(topic, partition, metadata, byId));
      }
    }
    long start = System.nanoTime();
    List<CompletableFuture<FetchResult>> immediate = read(wanted, fetch.maxBytes(), Duration.ZERO);
    Duration maxWait = Duration.ofMillis(Math.max(0, fetch.maxWait()));
    Duration firstReadDeadline = maxWait.compareTo(FIRST_READ_DEADLINE) > 0 ? maxWait : FIRST_READ_DEADLINE;
    return allOrDeadline(immediate, firstReadDeadline).thenCompose(done -> {
      List<FetchResult> results = answered(immediate, immediate.stream().map(read -> LATE).toList());
      Duration left = maxWait.minusNanos(System.nanoTime() - start);
      boolean late = results.stream().anyMatch(result -> result == LATE);
      if (late || left.isNegative() || left.isZero() || bytes(results) >= fetch.minBytes() || hasError(results)) {
        return CompletableFuture.completedFuture(response(request.version(), fetch, wanted, results, byId));
      }
      return longPoll(wanted, fetch.maxBytes(), left, results)
          .thenApply(polled -> response(request.version(), fetch, wanted, polled, byId));
    });
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

  private List<CompletableFuture<FetchResult>> read(List<Wanted> wanted, int responseMaxBytes, Duration maxWait) {
    List<CompletableFuture<FetchResult>> reads = new ArrayList<>(wanted.size());
    for (Wanted want : wanted) {
      if (want.id() == null) {
        reads.add(CompletableFuture.completedFuture(FetchResult.error(want.error(), -1, -1)));
      } else {
        FetchPartition partition = want.partition();
        int maxBytes = Math.max(1, Math.min(partition.partitionMaxBytes(), responseMaxBytes));
        reads.add(broker.fetch(want.id(), partition.fetchOffset(), maxBytes, maxWait).toCompletableFuture());
      }
    }
    return reads;
  }

  /**
   * Every partition long-polls; the first to bring data ends the wait. Partitions still waiting keep the result of
   * the first read, which said they had nothing.
   */
  private CompletionStage<List<FetchResult>> longPoll(
      List<Wanted> wanted, int responseMaxBytes, Duration maxWait, List<FetchResult> first) {
    List<CompletableFuture<FetchResult>> polls = read(wanted, responseMaxBytes, maxWait);
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
      short version, FetchRequest fetch, List<Wanted> wanted, List<FetchResult> results, boolean byId) {
    FetchResponseData data = new FetchResponseData()
        .setErrorCode(Errors.NONE.code())
        .setSessionId(FetchMetadata.INVALID_SESSION_ID);
    boolean readCommitted = fetch.isolationLevel() == IsolationLevel.READ_COMMITTED;
    int budget = fetch.maxBytes();
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
      }
      current.partitions().add(new PartitionData()
          .setPartitionIndex(want.partition().partition())
          .setErrorCode(result.error().code())
          .setHighWatermark(result.highWatermark())
          .setLastStableOffset(result.highWatermark())
          .setLogStartOffset(result.logStartOffset())
          .setAbortedTransactions(readCommitted ? new ArrayList<>() : null)
          .setPreferredReadReplica(-1)
          .setRecords(records));
    }
    return FetchResponse.of(data);
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
