package dev.runnel.bench;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelConfig;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * Measures the partition log itself, below every protocol: appends of ready-made record batches through the
 * {@link Broker} facade with acks=all and many appends in flight, then fetches of everything back. Prints records/s,
 * MB/s and the journal writes the appends took (group commit gathers many appends into one write).
 *
 * <p>{@code PartitionBench [records] [recordBytes] [recordsPerBatch] [partitions] [inFlight] [keys]}: with
 * {@code keys} above 0 the records carry that many distinct keys ({@code k-0}, {@code k-1}, ...), which the
 * partitions' key index tracks; 0 (the default) writes keyless records. Run it with
 * {@code -Drunnel.broker.partition.key-index.max-keys=0} to measure the same without the key index.
 */
public final class PartitionBench {

  private PartitionBench() {}

  public static void main(String[] args) throws Exception {
    RunnelNode.ensureCommonPoolThreads();
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int recordBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int perBatch = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    int partitions = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    int inFlight = args.length > 4 ? Integer.parseInt(args[4]) : 64;
    int keys = args.length > 5 ? Integer.parseInt(args[5]) : 0;

    Path dataDir = Files.createTempDirectory("runnel-bench-");
    Map<String, Object> settings = new HashMap<>();
    settings.put("runnel.data-dir", dataDir.toString());
    settings.put("runnel.broker.http.port", 0);
    settings.put("runnel.broker.schema-registry.port", 0);
    settings.put("runnel.broker.kafka.port", 0);
    settings.put("pekko.loglevel", "WARNING");
    try (RunnelNode node = RunnelNode.start(RunnelConfig.load(settings), Duration.ofSeconds(60))) {
      Broker broker = node.broker();
      TopicMetadata topic = broker.createTopic("bench", partitions, Map.of()).toCompletableFuture().get();
      byte[] value = new byte[recordBytes];
      new Random(1).nextBytes(value);
      ByteBuffer batch = batch(perBatch, value, keys);
      int batches = records / perBatch;

      Semaphore permits = new Semaphore(inFlight);
      CompletableFuture<?>[] acks = new CompletableFuture<?>[batches];
      long start = System.nanoTime();
      for (int i = 0; i < batches; i++) {
        permits.acquire();
        PartitionId partition = Broker.partition(topic, i % partitions);
        acks[i] = broker.append(partition, batch.duplicate(), (short) -1).toCompletableFuture()
            .whenComplete((r, e) -> permits.release());
      }
      CompletableFuture.allOf(acks).get(10, TimeUnit.MINUTES);
      double produceSeconds = (System.nanoTime() - start) / 1e9;
      long writes = 0;
      for (int p = 0; p < partitions; p++) {
        writes += broker.status(Broker.partition(topic, p)).toCompletableFuture().get().journalWrites();
      }
      report("append", (long) batches * perBatch, (long) batches * batch.remaining(), produceSeconds);
      System.out.printf("journal writes: %d for %d appends (%.1f appends per write)%n",
          writes, batches, (double) batches / writes);

      start = System.nanoTime();
      long fetched = 0;
      long bytes = 0;
      for (int p = 0; p < partitions; p++) {
        PartitionId partition = Broker.partition(topic, p);
        long offset = 0;
        while (true) {
          FetchResult fetch = broker.fetch(partition, offset, 4 << 20, Duration.ZERO).toCompletableFuture().get();
          if (!fetch.records().hasRemaining()) {
            break;
          }
          bytes += fetch.records().remaining();
          for (MutableRecordBatch b : MemoryRecords.readableRecords(fetch.records()).batches()) {
            fetched += b.lastOffset() - Math.max(offset, b.baseOffset()) + 1;
            offset = b.lastOffset() + 1;
          }
        }
      }
      report("fetch", fetched, bytes, (System.nanoTime() - start) / 1e9);
    }
  }

  private static ByteBuffer batch(int count, byte[] value, int keys) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(count * (value.length + 48) + 128),
        RecordBatch.CURRENT_MAGIC_VALUE, Compression.NONE, TimestampType.CREATE_TIME, 0L);
    long now = System.currentTimeMillis();
    for (int i = 0; i < count; i++) {
      byte[] key = keys > 0 ? ("k-" + (i % keys)).getBytes(java.nio.charset.StandardCharsets.UTF_8) : null;
      builder.append(now, key, value);
    }
    return builder.build().buffer();
  }

  private static void report(String what, long records, long bytes, double seconds) {
    System.out.printf("%-7s %,d records in %.2f s: %,.0f records/s, %.1f MB/s%n",
        what, records, seconds, records / seconds, bytes / seconds / 1e6);
  }
}
