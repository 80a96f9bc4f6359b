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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.protocol.Errors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Partitions passivate themselves once no request used them for {@code idle-timeout} (cluster sharding's own
 * passivation is off for them: with it, every shard start costs a message to every shard of the region), never while
 * a fetch waits on them, and come back with their whole log at the next request.
 */
@Timeout(120)
class PartitionPassivationTest {

  private static final Map<String, Object> SETTINGS = Map.of("runnel.broker.partition.idle-timeout", "1 s");

  @Test
  void when_aPartitionIsUnused_then_itPassivatesItselfAndTheNextRequestFindsItsLog() throws Exception {
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir(), SETTINGS)) {
      Broker broker = node.broker();
      TopicMetadata topic = await(broker.createTopic("idle", 2, Map.of()));
      PartitionId used = Broker.partition(topic, 0);
      PartitionId unused = Broker.partition(topic, 1);
      for (PartitionId partition : List.of(used, unused)) {
        assertEquals(Errors.NONE, await(broker.append(partition,
            LogProbe.batch(System.currentTimeMillis(), List.of("k"), List.of("first")), (short) -1)).error());
      }
      LocalPartitions local = LocalPartitions.get(node.system());
      long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      while (System.nanoTime() < deadline) {
        // Used every 200 ms, far more often than the idle timeout: it must stay.
        await(broker.status(used));
        assertTrue(local.hosts(used), "a partition used every 200 ms stays in memory");
        Thread.sleep(200);
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !local.hosts(unused));

      assertEquals(Errors.NONE, await(broker.append(unused,
          LogProbe.batch(System.currentTimeMillis(), List.of("k"), List.of("second")), (short) -1)).error());
      assertEquals(List.of("first", "second"),
          LogProbe.readAll(broker, unused, 0).stream().map(LogProbe.Read::value).toList());
    }
  }

  @Test
  void when_aFetchWaitsLongerThanTheIdleTimeout_then_thePartitionStaysAndAnswersItWithWhatIsAppended()
      throws Exception {
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir(), SETTINGS)) {
      Broker broker = node.broker();
      PartitionId partition = Broker.partition(await(broker.createTopic("waited", 1, Map.of())), 0);
      CompletableFuture<FetchResult> waiting =
          broker.fetch(partition, 0, 1 << 20, Duration.ofSeconds(8)).toCompletableFuture();
      Thread.sleep(4_000);
      assertTrue(!waiting.isDone(), "the fetch still waits, 4 idle timeouts later: " + waiting);
      assertTrue(LocalPartitions.get(node.system()).hosts(partition), "a partition a fetch waits on stays");
      assertEquals(Errors.NONE, await(broker.append(partition,
          LogProbe.batch(System.currentTimeMillis(), List.of("k"), List.of("late")), (short) -1)).error());
      FetchResult result = await(waiting);
      assertTrue(result.records().hasRemaining(), "the waiting fetch got the appended batch: " + result);
    }
  }
}
