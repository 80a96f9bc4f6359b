package dev.runnel.bench;

import dev.runnel.broker.partition.BatchValidator;
import java.nio.ByteBuffer;
import java.util.Random;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;

/**
 * The cost of {@link BatchValidator} alone, on one thread: batches of {@code recordsPerBatch} records of
 * {@code recordBytes} (half random, half repeated, so codecs have something to do), each codec in turn. Prints MB/s
 * of batch bytes as sent and records/s; for compressed batches most of the time is the decompression.
 *
 * <p>{@code ValidatorBench [seconds per codec] [recordBytes] [recordsPerBatch]}
 */
public final class ValidatorBench {

  private ValidatorBench() {}

  public static void main(String[] args) {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
    int recordBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int perBatch = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    BatchValidator.Rules rules =
        new BatchValidator.Rules(Integer.MAX_VALUE, false, false, Long.MAX_VALUE, Long.MAX_VALUE, 64 << 20);
    System.out.printf("%-6s %10s %12s %14s%n", "codec", "batch B", "MB/s", "records/s");
    for (Compression compression : new Compression[] {Compression.NONE, Compression.lz4().build(),
        Compression.snappy().build(), Compression.zstd().build(), Compression.gzip().build()}) {
      ByteBuffer batch = batch(compression, perBatch, recordBytes);
      long now = System.currentTimeMillis();
      long deadline = System.nanoTime() + (long) (seconds / 3 * 1e9);
      while (System.nanoTime() < deadline) {
        BatchValidator.validate(batch, rules, now); // warm up
      }
      long validated = 0;
      long start = System.nanoTime();
      deadline = start + (long) (seconds * 1e9);
      while (System.nanoTime() < deadline) {
        validated += BatchValidator.validate(batch, rules, now).records() > 0 ? 1 : 0;
      }
      double took = (System.nanoTime() - start) / 1e9;
      System.out.printf("%-6s %,10d %12.1f %,14.0f%n", compression.type().name, batch.remaining(),
          validated * batch.remaining() / took / 1e6, validated * perBatch / took);
    }
  }

  private static ByteBuffer batch(Compression compression, int count, int recordBytes) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), compression,
        TimestampType.CREATE_TIME, 0L);
    Random random = new Random(1);
    long now = System.currentTimeMillis();
    for (int i = 0; i < count; i++) {
      byte[] value = new byte[recordBytes];
      random.nextBytes(value);
      for (int b = recordBytes / 2; b < recordBytes; b++) {
        value[b] = 'x';
      }
      builder.append(now, ("key-" + (i % 100)).getBytes(), value);
    }
    return builder.build().buffer();
  }
}
