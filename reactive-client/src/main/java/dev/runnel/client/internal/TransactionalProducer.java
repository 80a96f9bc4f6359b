package dev.runnel.client.internal;

import dev.runnel.client.ProducerMessage;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.RunnelException;
import dev.runnel.client.TransactionalSettings;
import dev.runnel.client.internal.Protocol.Message;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's transactional producer over the native protocol, as {@code Transactional.flow} runs it: {@link #init}
 * takes the transactional id's producer id at a new epoch (fencing every older producer of the id and aborting the
 * transaction one left open), and each {@link #commit} is one whole transaction: AddPartitionsToTxn for the
 * partitions its records go to, one transactional Produce per partition and batch (acks all), TxnOffsetCommit per
 * consumer group, EndTxn. A request the coordinator answers with a retriable error ({@link #isRetriable}) is sent
 * again with backoff until {@code retry-timeout}; any other error, a refused append or a lost connection fails the
 * transaction, and the producer with it: the application starts a new one, whose init aborts what this one left.
 *
 * <p>Not thread-safe: one call at a time, each after the previous one completed.
 */
public final class TransactionalProducer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TransactionalProducer.class);
  /** The first pause before a retried request: the previous transaction's markers usually take milliseconds. */
  private static final Duration FIRST_RETRY = Duration.ofMillis(20);

  private final ProducerSettings settings;
  private final TransactionalSettings transactional;
  private final String transactionalId;
  private final RequestChannel channel;
  private final Map<String, Integer> partitionCounts = new HashMap<>();
  /** Each partition's next sequence in the current epoch. */
  private final Map<Protocol.TopicPartition, Integer> sequences = new HashMap<>();
  private long producerId = RecordBatch.NO_PRODUCER_ID;
  private short epoch = RecordBatch.NO_PRODUCER_EPOCH;
  /** A transaction was begun on the broker (a partition or group added) and not ended. */
  private boolean open;
  private int keylessPartition;

  public TransactionalProducer(ProducerSettings settings, TransactionalSettings transactional,
      String transactionalId, ClassicActorSystemProvider system) {
    if (transactionalId == null || transactionalId.isEmpty()) {
      throw new IllegalArgumentException("a transactional id must not be empty");
    }
    this.settings = settings;
    this.transactional = transactional;
    this.transactionalId = transactionalId;
    this.channel = new RequestChannel(system, settings.bootstrapUris(), settings.requestTimeout(),
        settings.maxInFlight() + 16);
  }

  /**
   * Whether a transaction request is worth sending again: the coordinator is moving or loading, or the previous
   * transaction (this producer's, or the one its init aborted) is still completing (CONCURRENT_TRANSACTIONS).
   */
  public static boolean isRetriable(Errors error) {
    return error == Errors.CONCURRENT_TRANSACTIONS || error == Errors.COORDINATOR_NOT_AVAILABLE
        || error == Errors.NOT_COORDINATOR || error == Errors.COORDINATOR_LOAD_IN_PROGRESS;
  }

  /** Takes the transactional id's producer id at a new epoch. */
  public CompletionStage<Done> init() {
    int timeoutMs = (int) transactional.transactionTimeout().toMillis();
    return retrying("InitTransactions", id -> new Protocol.InitTransactions(id, transactionalId, timeoutMs),
        answer -> Errors.forCode(((Protocol.ProducerIdResult) answer).errorCode()))
        .thenApply(answer -> {
          Protocol.ProducerIdResult result = (Protocol.ProducerIdResult) answer;
          producerId = result.producerId();
          epoch = result.epoch();
          sequences.clear();
          log.info("transactional id {}: producer id {} epoch {}", transactionalId, producerId, epoch);
          return Done.getInstance();
        });
  }

  /** Produces the messages' records and commits their offsets, all in one transaction. */
  public CompletionStage<Done> commit(List<ProducerMessage> messages) {
    TxnBatch batch = TxnBatch.of(messages);
    return partitioned(batch.records())
        .thenCompose(byPartition -> addPartitions(byPartition.keySet().stream().toList())
            .thenCompose(added -> produceAll(byPartition)))
        .thenCompose(produced -> commitOffsets(batch))
        .thenCompose(committed -> open ? endTxn(true) : CompletableFuture.completedFuture(Done.getInstance()));
  }

  /** Aborts the open transaction, if there is one; what it produced never becomes visible to read_committed. */
  public CompletionStage<Done> abort() {
    return open ? endTxn(false) : CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public void close() {
    channel.close();
  }

  /** The records by partition, each partition's in the order they came. */
  private CompletionStage<Map<Protocol.TopicPartition, List<ProducerRecord>>> partitioned(
      List<ProducerRecord> records) {
    List<String> unknown = records.stream().map(ProducerRecord::topic).distinct()
        .filter(topic -> !partitionCounts.containsKey(topic)).toList();
    CompletionStage<Done> known = CompletableFuture.completedFuture(Done.getInstance());
    for (String topic : unknown) {
      known = known.thenCompose(done -> metadata(topic));
    }
    return known.thenApply(done -> {
      Map<Protocol.TopicPartition, List<ProducerRecord>> byPartition = new LinkedHashMap<>();
      for (ProducerRecord record : records) {
        byPartition.computeIfAbsent(partitionOf(record), p -> new ArrayList<>()).add(record);
      }
      // Keyless records of one transaction share a partition; the next transaction takes the next one.
      keylessPartition++;
      return byPartition;
    });
  }

  private Protocol.TopicPartition partitionOf(ProducerRecord record) {
    int partitions = partitionCounts.get(record.topic());
    if (record.partition() >= partitions) {
      throw new RunnelException(Errors.UNKNOWN_TOPIC_OR_PARTITION,
          "topic " + record.topic() + " has " + partitions + " partitions, not " + (record.partition() + 1));
    }
    int partition = record.partition() >= 0 ? record.partition()
        : record.key() != null ? BuiltInPartitioner.partitionForKey(record.key(), partitions)
        : Math.floorMod(keylessPartition, partitions);
    return new Protocol.TopicPartition(record.topic(), partition);
  }

  private CompletionStage<Done> metadata(String topic) {
    return channel.request(id -> new Protocol.Metadata(id, topic)).thenApply(answer -> {
      Protocol.MetadataResult result = expect(Protocol.MetadataResult.class, answer, "Metadata");
      Errors error = Errors.forCode(result.errorCode());
      if (error != Errors.NONE) {
        throw new RunnelException(error, "metadata of topic " + topic + ": " + result.message());
      }
      partitionCounts.put(topic, result.partitions());
      return Done.getInstance();
    });
  }

  private CompletionStage<Done> addPartitions(List<Protocol.TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    open = true;
    return retrying("AddPartitionsToTxn",
        id -> new Protocol.AddPartitionsToTxn(id, transactionalId, producerId, epoch, partitions), this::txnError)
        .thenApply(answer -> Done.getInstance());
  }

  /** Each partition's records, its batches sent one after the other, the partitions side by side. */
  private CompletionStage<Done> produceAll(Map<Protocol.TopicPartition, List<ProducerRecord>> byPartition) {
    List<CompletableFuture<Done>> partitions = new ArrayList<>();
    byPartition.forEach((partition, records) -> {
      CompletionStage<Done> sent = CompletableFuture.completedFuture(Done.getInstance());
      for (ByteString batch : batches(partition, records)) {
        sent = sent.thenCompose(done -> produce(partition, batch));
      }
      partitions.add(sent.toCompletableFuture());
    });
    return CompletableFuture.allOf(partitions.toArray(CompletableFuture[]::new)).thenApply(done -> Done.getInstance());
  }

  /** The records as transactional batches of at most batch-size bytes, numbered on from the partition's sequence. */
  private List<ByteString> batches(Protocol.TopicPartition partition, List<ProducerRecord> records) {
    List<ByteString> batches = new ArrayList<>();
    MemoryRecordsBuilder builder = null;
    int count = 0;
    for (ProducerRecord record : records) {
      long timestamp = record.timestamp() >= 0 ? record.timestamp() : System.currentTimeMillis();
      org.apache.kafka.common.header.Header[] headers = ProducerEngine.kafkaHeaders(record.headers());
      if (builder != null && !builder.hasRoomFor(timestamp, record.key(), record.value(), headers)) {
        batches.add(close(partition, builder, count));
        builder = null;
      }
      if (builder == null) {
        builder = MemoryRecords.builder(ByteBuffer.allocate(settings.batchSize()), settings.codec(),
            TimestampType.CREATE_TIME, 0L);
        count = 0;
      }
      builder.append(timestamp, record.key(), record.value(), headers);
      count++;
    }
    if (builder != null) {
      batches.add(close(partition, builder, count));
    }
    return batches;
  }

  private ByteString close(Protocol.TopicPartition partition, MemoryRecordsBuilder builder, int count) {
    int sequence = sequences.getOrDefault(partition, 0);
    builder.setProducerState(producerId, epoch, sequence, true);
    sequences.put(partition, DefaultRecordBatch.incrementSequence(sequence, count));
    return ByteString.fromByteBuffer(builder.build().buffer());
  }

  private CompletionStage<Done> produce(Protocol.TopicPartition partition, ByteString batch) {
    return channel.request(id -> new Protocol.Produce(id, partition.topic(), partition.partition(), (short) -1,
            batch))
        .thenApply(answer -> {
          Protocol.ProduceAck ack = expect(Protocol.ProduceAck.class, answer, "Produce");
          Errors error = Errors.forCode(ack.errorCode());
          if (error != Errors.NONE) {
            throw new RunnelException(error, "transactional id " + transactionalId + ": " + partition.topic() + "-"
                + partition.partition() + " refused the transaction's records: " + ack.message());
          }
          return Done.getInstance();
        });
  }

  private CompletionStage<Done> commitOffsets(TxnBatch batch) {
    CompletionStage<Done> committed = CompletableFuture.completedFuture(Done.getInstance());
    for (Map.Entry<String, TxnBatch.GroupOffsets> group : batch.offsets().entrySet()) {
      List<Protocol.PartitionOffset> offsets = new ArrayList<>();
      group.getValue().nextOffsets().forEach((partition, next) ->
          offsets.add(new Protocol.PartitionOffset(partition.topic(), partition.partition(), next)));
      String memberId = group.getValue().member().memberId();
      int generationId = group.getValue().member().generationId();
      committed = committed.thenCompose(done -> {
        open = true;
        return retrying("TxnOffsetCommit", id -> new Protocol.TxnOffsetCommit(id, transactionalId, producerId,
            epoch, group.getKey(), memberId, generationId, offsets), this::txnError);
      }).thenApply(answer -> Done.getInstance());
    }
    return committed;
  }

  private CompletionStage<Done> endTxn(boolean commit) {
    return retrying(commit ? "EndTxn(commit)" : "EndTxn(abort)",
        id -> new Protocol.EndTxn(id, transactionalId, producerId, epoch, commit), this::txnError)
        .thenApply(answer -> {
          open = false;
          return Done.getInstance();
        });
  }

  private Errors txnError(Message answer) {
    return Errors.forCode(expect(Protocol.TxnResult.class, answer, "a transaction request").errorCode());
  }

  /**
   * Sends the request until it is answered without a retriable error or {@code retry-timeout} has passed since the
   * first send; fails with {@link RunnelException} on any other error.
   */
  private CompletionStage<Message> retrying(String what, IntFunction<Message> request,
      Function<Message, Errors> errorOf) {
    return attempt(what, request, errorOf, System.nanoTime(), new Backoff(FIRST_RETRY, settings.maxBackoff()));
  }

  private CompletionStage<Message> attempt(String what, IntFunction<Message> request,
      Function<Message, Errors> errorOf, long firstSent, Backoff backoff) {
    return channel.request(request).thenCompose(answer -> {
      Errors error = errorOf.apply(answer);
      if (error == Errors.NONE) {
        return CompletableFuture.completedFuture(answer);
      }
      boolean within = GroupErrors.withinDeadline(firstSent, System.nanoTime(),
          transactional.retryTimeout().toNanos());
      if (isRetriable(error) && within) {
        Duration delay = backoff.next();
        log.debug("transactional id {}: {} answered {}, sending it again in {} ms", transactionalId, what, error,
            delay.toMillis());
        return CompletableFuture.supplyAsync(() -> null,
                CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS))
            .thenCompose(ignored -> attempt(what, request, errorOf, firstSent, backoff));
      }
      return CompletableFuture.failedFuture(new RunnelException(error, "transactional id " + transactionalId
          + " (producer id " + producerId + ", epoch " + epoch + "): " + what + " answered " + error
          + (isRetriable(error) ? " for " + transactional.retryTimeout().toMillis() + " ms" : "")));
    });
  }

  private static <T extends Message> T expect(Class<T> type, Message answer, String what) {
    if (type.isInstance(answer)) {
      return type.cast(answer);
    }
    if (answer instanceof Protocol.Error error) {
      throw new RunnelException(Errors.forCode(error.errorCode()), what + " refused: " + error.message());
    }
    throw new IllegalStateException(what + " answered with " + answer.getClass().getSimpleName());
  }
}
