package dev.runnel.broker.partition;

import static dev.runnel.broker.testkit.LogProbe.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.protocol.Errors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node's partitions share one tail-cache budget: written to many partitions, the caches together stay within
 * {@code tail-cache-total-bytes}, every record still reads back (from the journal once evicted), and passivated
 * partitions give their bytes back.
 */
@Timeout(180)
class TailCacheMemoryTest {

  private static final int PARTITIONS = 40;
  private static final long TOTAL = 256 * 1024;
  private static final Map<String, Object> SETTINGS = Map.of(
      "runnel.broker.partition.tail-cache-bytes", "32 KiB",
      "runnel.broker.partition.tail-cache-total-bytes", Long.toString(TOTAL),
      "runnel.broker.partition.idle-timeout", "3 s");

  @Test
  void when_manyPartitionsAreWritten_then_theirTailCachesTogetherStayWithinTheBudget() throws Exception {
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir(), SETTINGS)) {
      Broker broker = node.broker();
      TopicMetadata topic = await(broker.createTopic("wide", PARTITIONS, Map.of()));
      String value = "v".repeat(4 * 1024);
      long peak = 0;
      for (int batch = 0; batch < 4; batch++) {
        for (int p = 0; p < PARTITIONS; p++) {
          PartitionId partition = Broker.partition(topic, p);
          AppendResult result = await(broker.append(partition,
              LogProbe.batch(System.currentTimeMillis(), List.of("p" + p), List.of(batch + value)), (short) 1));
          assertEquals(Errors.NONE, result.error());
          peak = Math.max(peak, broker.tailCacheBudget().bytes());
        }
      }
      assertTrue(peak <= TOTAL, "the caches held " + peak + " bytes at most, within " + TOTAL);
      assertTrue(broker.tailCacheBudget().bytes() > TOTAL / 2, "the budget is used: "
          + broker.tailCacheBudget().bytes());
      assertTrue(broker.tailCacheBudget().evictedBytes() > TOTAL, "640 KiB written, 256 KiB kept");

      for (int p = 0; p < PARTITIONS; p++) {
        List<String> values = new ArrayList<>();
        for (LogProbe.Read read : LogProbe.readAll(broker, Broker.partition(topic, p), 0)) {
          values.add(read.value());
        }
        assertEquals(List.of(0 + value, 1 + value, 2 + value, 3 + value), values, "partition " + p);
      }
      assertTrue(broker.tailCacheBudget().bytes() <= TOTAL);

      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> broker.tailCacheBudget().bytes() == 0);
      assertEquals(0, broker.tailCacheBudget().caches(), "passivated partitions hold no cache");
    }
  }
}
