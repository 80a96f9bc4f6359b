package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.AckingProducer;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kills a node's JVM with SIGKILL while it appends with acks=all, starts a node on the same data directory, and
 * checks that every acknowledged record is there at its offset and that offsets continue after them.
 */
@Timeout(180)
class CrashRecoveryTest {

  private record Ack(int partition, long baseOffset, int count, long firstSequence) {}

  @Test
  void when_nodeIsKilledDuringAcksAllWrites_then_everyAcknowledgedRecordSurvivesAtItsOffset() throws Exception {
    Path dataDir = TestNodes.newDataDir();
    List<Ack> acks = new ArrayList<>();
    Process process = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m",
            "-cp", System.getProperty("java.class.path"),
            AckingProducer.class.getName(),
            dataDir.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while (acks.size() < 600 && (line = lines.readLine()) != null) {
        if (line.startsWith("ACK ")) {
          String[] f = line.split(" ");
          acks.add(new Ack(Integer.parseInt(f[1]), Long.parseLong(f[2]), Integer.parseInt(f[3]), Long.parseLong(f[4])));
        }
      }
      // SIGKILL: no shutdown hook, no flush, appends in flight.
      process.destroyForcibly();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "killed process exits");
    }
    assertEquals(600, acks.size(), "acknowledged appends seen before the kill");

    try (RunnelNode node = TestNodes.start(dataDir)) {
      Broker broker = node.broker();
      TopicMetadata topic = broker.lookupTopic(AckingProducer.TOPIC).toCompletableFuture().get(30, TimeUnit.SECONDS)
          .orElseThrow();
      Map<Integer, Map<Long, String>> stored = new HashMap<>();
      for (int p = 0; p < AckingProducer.PARTITIONS; p++) {
        stored.put(p, readAll(broker, Broker.partition(topic, p)));
      }
      for (Ack ack : acks) {
        for (int i = 0; i < ack.count(); i++) {
          assertEquals(AckingProducer.value(ack.partition(), ack.firstSequence() + i),
              stored.get(ack.partition()).get(ack.baseOffset() + i),
              "partition " + ack.partition() + " offset " + (ack.baseOffset() + i));
        }
      }
      for (int p = 0; p < AckingProducer.PARTITIONS; p++) {
        PartitionId id = Broker.partition(topic, p);
        long end = broker.status(id).toCompletableFuture().get(30, TimeUnit.SECONDS).logEndOffset();
        assertEquals(stored.get(p).size(), end, "partition " + p + " holds exactly the offsets below its end");
        AppendResult next = broker.append(id, AckingProducer.batch(p, 1_000_000), (short) -1)
            .toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(Errors.NONE, next.error());
        assertEquals(end, next.baseOffset(), "the next offset continues the log on partition " + p);
      }
    }
  }

  private static Map<Long, String> readAll(Broker broker, PartitionId partition) throws Exception {
    Map<Long, String> values = new HashMap<>();
    long offset = 0;
    while (true) {
      FetchResult fetch = broker.fetch(partition, offset, 1 << 20, Duration.ZERO)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(Errors.NONE, fetch.error());
      if (!fetch.records().hasRemaining()) {
        return values;
      }
      for (RecordBatch batch : MemoryRecords.readableRecords(fetch.records()).batches()) {
        for (Record record : batch) {
          if (record.offset() >= offset) {
            values.put(record.offset(), StandardCharsets.UTF_8.decode(record.value()).toString());
            offset = record.offset() + 1;
          }
        }
      }
    }
  }
}
