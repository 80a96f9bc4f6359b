package dev.runnel.broker.testkit;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.persistence.PartitionReads;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

/** Writes and reads a partition through the broker facade, and counts the events its journal serves, for lifecycle tests. */
public final class LogProbe {

  /** A record as a consumer sees it; a null value is a tombstone. */
  public record Read(long offset, String key, String value) {}

  private LogProbe() {}

  public static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** One v2 batch of records with these keys and values (a null value is a tombstone), all at {@code timestamp}. */
  public static ByteBuffer batch(long timestamp, List<String> keys, List<String> values) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(256), RecordBatch.MAGIC_VALUE_V2,
        Compression.NONE, TimestampType.CREATE_TIME, 0);
    for (int i = 0; i < keys.size(); i++) {
      builder.append(timestamp, bytes(keys.get(i)), bytes(values.get(i)));
    }
    return builder.build().buffer();
  }

  private static byte[] bytes(String text) {
    return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
  }

  /** Every record from {@code from} to the high watermark, in offset order, as a consumer would read them. */
  public static List<Read> readAll(Broker broker, PartitionId partition, long from) throws Exception {
    List<Read> reads = new ArrayList<>();
    long offset = from;
    while (true) {
      FetchResult fetch = await(broker.fetch(partition, offset, 64 * 1024, Duration.ZERO));
      if (fetch.error() != Errors.NONE) {
        throw new AssertionError("fetch at " + offset + " failed with " + fetch.error());
      }
      if (offset >= fetch.highWatermark()) {
        return reads;
      }
      boolean any = false;
      for (RecordBatch batch : MemoryRecords.readableRecords(fetch.records()).batches()) {
        for (Record record : batch) {
          if (record.offset() >= offset) {
            reads.add(new Read(record.offset(), text(record.key()), text(record.value())));
          }
        }
        offset = Math.max(offset, batch.lastOffset() + 1);
        any = true;
      }
      if (!any) {
        throw new AssertionError("fetch at " + offset + " below the high watermark " + fetch.highWatermark()
            + " returned no batch");
      }
    }
  }

  private static String text(ByteBuffer buffer) {
    return buffer == null ? null : StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
  }

  /**
   * How many of the partition's events the node's journal still serves, read back through the journal's own direct
   * reads (positional reads of the segment files on the embedded profile, the read journal on h2 and postgres):
   * deleted events are not counted, whatever the journal keeps of them on disk.
   */
  public static long journalEvents(RunnelNode node, PartitionId partition) throws Exception {
    String persistenceId = Partition.ENTITY_KEY.name() + "|" + partition.entityId();
    return await(PartitionReads.create(node.system()).read(persistenceId, 1, Long.MAX_VALUE, Integer.MAX_VALUE))
        .size();
  }
}
