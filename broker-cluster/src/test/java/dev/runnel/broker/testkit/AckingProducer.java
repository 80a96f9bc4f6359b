package dev.runnel.broker.testkit;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

/**
 * A node that produces to itself with acks=all for ever, printing every acknowledged append as
 * {@code ACK partition baseOffset count firstSequence}; run in its own JVM by crash tests, which kill it.
 */
public final class AckingProducer {

  public static final String TOPIC = "durable";
  public static final int PARTITIONS = 3;
  public static final int RECORDS_PER_BATCH = 5;

  private AckingProducer() {}

  /** The value of the record with this sequence number on this partition. */
  public static String value(int partition, long sequence) {
    return "p" + partition + "-" + sequence;
  }

  public static ByteBuffer batch(int partition, long firstSequence) {
    SimpleRecord[] records = new SimpleRecord[RECORDS_PER_BATCH];
    for (int i = 0; i < RECORDS_PER_BATCH; i++) {
      records[i] = new SimpleRecord(System.currentTimeMillis(), null,
          value(partition, firstSequence + i).getBytes(StandardCharsets.UTF_8));
    }
    return MemoryRecords.withRecords(Compression.NONE, records).buffer();
  }

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    RunnelNode node = TestNodes.start(Path.of(args[0]), Map.of("pekko.loglevel", "ERROR"));
    Broker broker = node.broker();
    TopicMetadata topic = broker.topicForUse(TOPIC).toCompletableFuture().get();
    if (topic.partitions() != PARTITIONS) {
      broker.createPartitions(TOPIC, PARTITIONS).toCompletableFuture().get();
      topic = broker.topic(TOPIC).orElseThrow();
    }
    out.println("READY");
    Semaphore inFlight = new Semaphore(32);
    long[] sequences = new long[PARTITIONS];
    for (long round = 0; ; round++) {
      int partition = (int) (round % PARTITIONS);
      PartitionId id = Broker.partition(topic, partition);
      long first = sequences[partition];
      sequences[partition] += RECORDS_PER_BATCH;
      inFlight.acquire();
      broker.append(id, batch(partition, first), (short) -1).whenComplete((AppendResult result, Throwable failure) -> {
        inFlight.release();
        if (failure == null && result.isStored()) {
          synchronized (out) {
            out.println("ACK " + partition + " " + result.baseOffset() + " " + RECORDS_PER_BATCH + " " + first);
          }
        }
      });
    }
  }
}
