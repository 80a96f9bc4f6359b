package dev.runnel.broker.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.AppendCondition;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.utils.Utils;

/**
 * Produces the records of one HTTP request: picks each record's partition as Kafka's producer does, builds the
 * records of each partition into Kafka v2 batches and appends them, one append per partition, so each partition
 * takes all of its records of the request or none. Thread-safe.
 */
final class RecordProducer {

  /**
   * Where one record went: its partition and offset, or the error that refused its partition's append.
   *
   * @param partition the partition the record was sent to
   * @param offset its offset; null when refused
   * @param error the Kafka error name; null when stored
   * @param code the Kafka error code; null when stored
   * @param message why it was refused; null when stored
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record RecordOffset(int partition, Long offset, String error, Integer code, String message) {}

  /** The request's outcome: one entry per record, in request order, and the first error if any. */
  record Outcome(List<RecordOffset> offsets, AppendResult firstFailure) {}

  private final Broker broker;
  /** Spreads keyless records over partitions, one partition per request (KIP-480's sticky idea, per request). */
  private final AtomicInteger keylessCounter = new AtomicInteger();

  RecordProducer(Broker broker) {
    this.broker = broker;
  }

  CompletionStage<Outcome> produce(TopicMetadata topic, ProduceRequest request) {
    return produce(topic, request, null);
  }

  /**
   * {@link #produce(TopicMetadata, ProduceRequest)}, each partition's append only if {@code condition} holds (when
   * not null: the request then names one partition, as {@link PartitionProduce} checks).
   */
  CompletionStage<Outcome> produce(TopicMetadata topic, ProduceRequest request, AppendCondition condition) {
    int[] partitions = assignPartitions(topic, request.records());
    Map<Integer, List<Integer>> byPartition = new LinkedHashMap<>();
    for (int i = 0; i < partitions.length; i++) {
      byPartition.computeIfAbsent(partitions[i], p -> new ArrayList<>()).add(i);
    }
    int maxBatchBytes = broker.topicConfig(topic.name()).maxMessageBytes();
    long now = System.currentTimeMillis();
    Map<Integer, CompletableFuture<AppendResult>> appends = new LinkedHashMap<>();
    for (Map.Entry<Integer, List<Integer>> entry : byPartition.entrySet()) {
      List<ProduceRequest.Record> records = new ArrayList<>(entry.getValue().size());
      for (int index : entry.getValue()) {
        records.add(request.records().get(index));
      }
      PartitionId partition = Broker.partition(topic, entry.getKey());
      ByteBuffer batches = batches(records, maxBatchBytes, now);
      appends.put(entry.getKey(), (condition == null
          ? broker.append(partition, batches, (short) -1)
          : broker.append(partition, batches, condition)).toCompletableFuture());
    }
    return CompletableFuture.allOf(appends.values().toArray(new CompletableFuture<?>[0])).thenApply(done -> {
      List<RecordOffset> offsets = new ArrayList<>(partitions.length);
      Map<Integer, Integer> indexInPartition = new LinkedHashMap<>();
      AppendResult firstFailure = null;
      for (int partition : partitions) {
        AppendResult result = appends.get(partition).join();
        int index = indexInPartition.merge(partition, 1, Integer::sum) - 1;
        if (result.isStored()) {
          offsets.add(new RecordOffset(partition, result.baseOffset() + index, null, null, null));
        } else {
          if (firstFailure == null) {
            firstFailure = result;
          }
          String message = result.errorMessage() == null ? result.error().message() : result.errorMessage();
          offsets.add(new RecordOffset(partition, null, result.error().name(), (int) result.error().code(), message));
        }
      }
      return new Outcome(List.copyOf(offsets), firstFailure);
    });
  }

  /**
   * Each record's partition: the one it names (checked against the topic), else Kafka's default partitioner's:
   * murmur2 of the key for keyed records, one partition per request for keyless ones.
   */
  private int[] assignPartitions(TopicMetadata topic, List<ProduceRequest.Record> records) {
    int[] partitions = new int[records.size()];
    int keyless = -1;
    for (int i = 0; i < records.size(); i++) {
      ProduceRequest.Record record = records.get(i);
      if (record.partition() != null) {
        partitions[i] = Broker.partition(topic, record.partition()).partition();
      } else if (record.key() != null) {
        partitions[i] = BuiltInPartitioner.partitionForKey(record.key(), topic.partitions());
      } else {
        if (keyless < 0) {
          keyless = Utils.toPositive(keylessCounter.getAndIncrement()) % topic.partitions();
        }
        partitions[i] = keyless;
      }
    }
    return partitions;
  }

  /**
   * The records as Kafka v2 batches with offsets from 0 (the partition assigns the real ones), uncompressed. A new
   * batch starts where the next record would take a batch past {@code maxBatchBytes} (the topic's
   * {@code max.message.bytes}); a single record larger than that is a batch of its own, which the partition
   * refuses with MESSAGE_TOO_LARGE.
   */
  static ByteBuffer batches(List<ProduceRequest.Record> records, int maxBatchBytes, long now) {
    List<ByteBuffer> batches = new ArrayList<>();
    MemoryRecordsBuilder builder = null;
    long offset = 0;
    for (ProduceRequest.Record record : records) {
      long timestamp = record.timestamp() == null ? now : record.timestamp();
      if (builder != null && !builder.hasRoomFor(timestamp, record.key(), record.value(), record.headers())) {
        batches.add(builder.build().buffer());
        builder = null;
      }
      if (builder == null) {
        builder = MemoryRecords.builder(
            ByteBuffer.allocate(1024), Compression.NONE, TimestampType.CREATE_TIME, offset, maxBatchBytes);
      }
      builder.appendWithOffset(offset++, timestamp, record.key(), record.value(), record.headers());
    }
    batches.add(builder.build().buffer());
    if (batches.size() == 1) {
      return batches.get(0);
    }
    int total = 0;
    for (ByteBuffer batch : batches) {
      total += batch.remaining();
    }
    ByteBuffer joined = ByteBuffer.allocate(total);
    for (ByteBuffer batch : batches) {
      joined.put(batch);
    }
    return joined.flip();
  }
}
