package dev.runnel.broker.schema;

import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.PartitionId;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;

/**
 * The registry's topic ({@code _schemas} by default: one partition, {@code cleanup.policy=compact}, created with the
 * registry's first change, so a node whose registry is never written has no extra topic) read and written
 * through the broker's own partition log, as any topic: appends go through {@link Broker#append} (acks=all), reads
 * through {@link Broker#fetch}. Thread-safe.
 */
final class SchemaLog {

  /** What a read found: the changes from the offset read, where the next read starts, and the log's end. */
  record Chunk(List<Change> changes, long nextOffset, long highWatermark) {}

  private static final int READ_BYTES = 1024 * 1024;

  private final Broker broker;
  private final SchemaRegistrySettings settings;

  SchemaLog(Broker broker, SchemaRegistrySettings settings) {
    this.broker = broker;
    this.settings = settings;
  }

  String topic() {
    return settings.topic();
  }

  /** The topic's partition if the topic exists (the writer creates it with the first change), asking the registry. */
  CompletionStage<Optional<PartitionId>> existing() {
    return broker.lookupTopic(settings.topic()).thenApply(found -> found.map(topic -> Broker.partition(topic, 0)));
  }

  /** The topic's partition if this node knows the topic, without asking anyone. */
  Optional<PartitionId> known() {
    return broker.topic(settings.topic()).map(topic -> Broker.partition(topic, 0));
  }

  /** The topic's partition, the topic created compacted first if it does not exist. */
  CompletionStage<PartitionId> ensure() {
    return broker.lookupTopic(settings.topic()).thenCompose(found -> {
      if (found.isPresent()) {
        return CompletableFuture.completedFuture(Broker.partition(found.get(), 0));
      }
      return broker.createTopic(settings.topic(), 1, Map.of("cleanup.policy", "compact"))
          .thenApply(created -> Broker.partition(created, 0))
          .exceptionallyCompose(failure -> {
            if (Broker.unwrap(failure) instanceof TopicExistsException) {
              return broker.lookupTopic(settings.topic())
                  .thenApply(again -> Broker.partition(again.orElseThrow(), 0));
            }
            return CompletableFuture.failedFuture(Broker.unwrap(failure));
          });
    });
  }

  /** Appends the changes as one batch; completes with the offset after the last one once the journal holds them. */
  CompletionStage<Long> append(PartitionId partition, List<Change> changes) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(
        ByteBuffer.allocate(1024), Compression.NONE, TimestampType.CREATE_TIME, 0L);
    long now = System.currentTimeMillis();
    for (Change change : changes) {
      SchemaLogCodec.Encoded encoded = SchemaLogCodec.encode(change);
      builder.append(now, encoded.key(), encoded.value());
    }
    return broker.append(partition, builder.build().buffer(), (short) -1).thenCompose(result -> {
      if (!result.isStored()) {
        return CompletableFuture.failedFuture(new RegistryException(RegistryError.of(RegistryError.STORE_ERROR,
            "Error while storing the schema change in topic " + settings.topic() + ": " + result.error()
                + (result.errorMessage() == null ? "" : " " + result.errorMessage()))));
      }
      return CompletableFuture.completedFuture(result.baseOffset() + changes.size());
    });
  }

  /** The changes from {@code offset}, waiting up to {@code maxWait} at the log end. */
  CompletionStage<Chunk> read(PartitionId partition, long offset, Duration maxWait) {
    return broker.fetch(partition, offset, READ_BYTES, maxWait).thenCompose(fetch -> {
      if (fetch.error() != Errors.NONE) {
        return CompletableFuture.failedFuture(new IllegalStateException(
            "Reading " + partition + " from offset " + offset + " failed: " + fetch.error()));
      }
      return CompletableFuture.completedFuture(chunk(fetch, offset));
    });
  }

  private static Chunk chunk(FetchResult fetch, long offset) {
    List<Change> changes = new ArrayList<>();
    long next = offset;
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(fetch.records()).batches()) {
      if (fetch.isVisible(batch)) {
        for (Record record : batch) {
          if (record.offset() >= offset) {
            SchemaLogCodec.decode(record.hasKey() ? record.key() : null, record.hasValue() ? record.value() : null)
                .ifPresent(changes::add);
          }
        }
      }
      next = Math.max(next, batch.nextOffset());
    }
    return new Chunk(changes, next, fetch.highWatermark());
  }
}
