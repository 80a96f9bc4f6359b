package dev.runnel.broker.lifecycle;

import static dev.runnel.broker.testkit.LogProbe.await;
import static dev.runnel.broker.testkit.LogProbe.batch;
import static dev.runnel.broker.testkit.LogProbe.journalEvents;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.Broker;
import dev.runnel.broker.NodeEnvironment;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.ManualClock;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A partition passivated for being idle has no timers running; the idle-partition sweeper wakes it so retention is
 * applied anyway. The partition's own retention timer is set far beyond the test, and the test never touches the
 * partition after it is passivated: only the sweeper can make its journal shrink.
 */
@Timeout(120)
class IdlePartitionSweepTest {

  private static final Map<String, Object> SETTINGS = Map.of(
      "runnel.broker.partition.retention-check-interval", "1 hour",
      "runnel.broker.partition.idle-sweep-interval", "3 s",
      "runnel.broker.partition.idle-timeout", "1 s");

  @Test
  void when_aPassivatedPartitionsDataOutlivesRetention_then_theSweeperWakesItAndTheDataGoes() throws Exception {
    ManualClock clock = new ManualClock(1_800_000_000_000L);
    Path dataDir = TestNodes.newDataDir();
    try (RunnelNode node = TestNodes.start(dataDir, SETTINGS, new NodeEnvironment(clock, Optional.empty()))) {
      Broker broker = node.broker();
      PartitionId partition = Broker.partition(await(broker.createTopic("quiet", 1, Map.of("retention.ms", "60000"))), 0);
      for (int i = 0; i < 5; i++) {
        assertEquals(Errors.NONE, await(broker.append(partition,
            batch(clock.millis(), List.of("k"), List.of("v" + i)), (short) -1)).error());
      }
      assertEquals(5, journalEvents(node, partition));

      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !running(node, partition));
      clock.advance(Duration.ofHours(1));

      Awaitility.await().atMost(Duration.ofSeconds(60))
          .until(() -> journalEvents(node, partition) < 5);
      assertEquals(5, await(broker.listOffsets(partition, Partition.EARLIEST_TIMESTAMP)).offset(),
          "every batch outlived retention.ms");
    }
  }

  private static boolean running(RunnelNode node, PartitionId partition) throws Exception {
    ShardRegion.CurrentShardRegionState state = AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
            ClusterSharding.get(node.system()).shardState(),
            replyTo -> new GetShardRegionState(Partition.ENTITY_KEY, replyTo),
            Duration.ofSeconds(10), node.system().scheduler())
        .toCompletableFuture().get();
    return state.getShards().stream().anyMatch(shard -> shard.getEntityIds().contains(partition.entityId()));
  }
}
