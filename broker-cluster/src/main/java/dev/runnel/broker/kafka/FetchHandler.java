package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.memory.ReadLease;
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
import java.util.function.IntUnaryOperator;
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
 * <p><b>Read memory.</b> Before reading, a fetch reserves in its connection's lease min(max_bytes, the sum of its
 * partitions' max bytes), lowered to the connection's bound, and waits while that is not free
 * ({@code runnel.broker.fetch}); a max_bytes above the connection's bound is served as that bound. Once built, the
 * lease is resized to the record bytes the response holds, and it is released when the response has been written.
 */
final class FetchHandler implements RequestHandler {

  /** Fetch v13 (KIP-516) names topics by id. */
  private static final short FIRST_VERSION_WITH_TOPIC_IDS = 13;

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
    // What this response may hold: no more than max_bytes, nor than its partitions may send together.
    long partitionsMax = partitionsMaxBytes(wanted);
    long wantedBytes = Math.min(Math.max(0, fetch.maxBytes()), partitionsMax);
    ReadLease lease = request.lease();
    // The response is bounded as the client asked, lowered to what one lease may hold (the connection's bound).
    int maxBytes = (int) Math.min(Math.max(0, fetch.maxBytes()), lease.maxBytes());
    return lease.reserve(wantedBytes).thenCompose(reserved -> {
      boolean allFit = partitionsMax <= reserved;
      return serve(fetch, wanted, maxBytes, allFit, byId).thenApply(response -> {
        // A first batch beyond a partition's limit (KIP-74) may make it more than reserved: counted all the same.
        lease.resize(recordBytes(response.data()));
        return (AbstractResponse) response;
      });
    });
  }

  /**
   * Reads and long-polls within {@code maxBytes}. When the partitions' own limits fit in it together, they all read
   * at once; otherwise one after another, each within what the ones before left, so that the bytes read stay
   * within the reservation (as Kafka reads partitions in order until max_bytes is reached).
   */
  private CompletionStage<FetchResponse> serve(
      FetchRequest fetch, List<Wanted> wanted, int maxBytes, boolean allFit, boolean byId) {
    CompletableFuture<List<FetchResult>> immediate = allFit
        ? all(read(wanted, i -> maxBytes, Duration.ZERO))
        : readInTurn(wanted, maxBytes);
    Duration maxWait = Duration.ofMillis(Math.max(0, fetch.maxWait()));
    return immediate.thenCompose(results -> {
      if (maxWait.isZero() || bytes(results) >= fetch.minBytes() || hasError(results)) {
        return CompletableFuture.completedFuture(response(fetch, wanted, results, maxBytes, byId));
      }
      // At the log end new data is small; when the limits do not fit together each partition waits for its share.
      int share = allFit ? maxBytes : Math.max(1, maxBytes / wanted.size());
      return longPoll(wanted, share, maxWait, results)
          .thenApply(polled -> response(fetch, wanted, polled, maxBytes, byId));
    });
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
      List<Wanted> wanted, IntUnaryOperator responseMaxBytes, Duration maxWait) {
    List<CompletableFuture<FetchResult>> reads = new ArrayList<>(wanted.size());
    for (int i = 0; i < wanted.size(); i++) {
      reads.add(read(wanted.get(i), responseMaxBytes.applyAsInt(i), maxWait));
    }
    return reads;
  }

  private CompletableFuture<FetchResult> read(Wanted want, int responseMaxBytes, Duration maxWait) {
    if (want.id() == null) {
      return CompletableFuture.completedFuture(FetchResult.error(want.error(), -1, -1));
    }
    FetchPartition partition = want.partition();
    int maxBytes = Math.max(1, Math.min(partition.partitionMaxBytes(), responseMaxBytes));
    return broker.fetch(want.id(), partition.fetchOffset(), maxBytes, maxWait).toCompletableFuture();
  }

  /** Reads the partitions one after another, each within what the ones before it left of {@code maxBytes}. */
  private CompletableFuture<List<FetchResult>> readInTurn(List<Wanted> wanted, int maxBytes) {
    CompletableFuture<List<FetchResult>> results = CompletableFuture.completedFuture(new ArrayList<>());
    for (Wanted want : wanted) {
      results = results.thenCompose(before ->
          read(want, (int) Math.max(0, maxBytes - bytes(before)), Duration.ZERO).thenApply(result -> {
            before.add(result);
            return before;
          }));
    }
    return results;
  }

  private static CompletableFuture<List<FetchResult>> all(List<CompletableFuture<FetchResult>> futures) {
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).thenApply(done -> joinAll(futures));
  }

  /**
   * Every partition long-polls; the first to bring data ends the wait. Partitions still waiting keep the result of
   * the first read, which said they had nothing.
   */
  private CompletionStage<List<FetchResult>> longPoll(
      List<Wanted> wanted, int partitionShare, Duration maxWait, List<FetchResult> first) {
    List<CompletableFuture<FetchResult>> polls = read(wanted, i -> partitionShare, maxWait);
    CompletableFuture<Void> anyData = new CompletableFuture<>();
    for (CompletableFuture<FetchResult> poll : polls) {
      poll.thenAccept(result -> {
        if (result.records().hasRemaining() || result.error() != Errors.NONE) {
          anyData.complete(null);
        }
      });
    }
    CompletableFuture<Void> allDone = CompletableFuture.allOf(polls.toArray(CompletableFuture[]::new));
    return CompletableFuture.anyOf(anyData, allDone).handle((done, failure) -> {
      List<FetchResult> results = new ArrayList<>(first);
      for (int i = 0; i < polls.size(); i++) {
        CompletableFuture<FetchResult> poll = polls.get(i);
        if (poll.isDone() && !poll.isCompletedExceptionally()) {
          results.set(i, poll.join());
        }
      }
      return results;
    });
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

  private static List<FetchResult> joinAll(List<CompletableFuture<FetchResult>> futures) {
    List<FetchResult> results = new ArrayList<>(futures.size());
    for (CompletableFuture<FetchResult> future : futures) {
      results.add(future.join());
    }
    return results;
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
