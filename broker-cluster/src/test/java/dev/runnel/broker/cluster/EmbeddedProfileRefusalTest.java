package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.ClusterNodes;
import dev.runnel.broker.testkit.TestNodes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node on the embedded profile keeps its journal in a file no other node can read, so it refuses to be part of
 * a multi-node cluster: it does not start with seed nodes, and it leaves and stops when another member appears.
 */
class EmbeddedProfileRefusalTest {

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void when_embeddedNodeHasSeedNodes_then_itRefusesToStartAndSaysWhy() {
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TestNodes.start(
        TestNodes.newDataDir(), Map.of("pekko.cluster.seed-nodes", List.of("pekko://runnel@127.0.0.1:1"))));
    assertTrue(refused.getMessage().contains("embedded journal profile")
        && refused.getMessage().contains("runnel.persistence.profile = postgres"), refused.getMessage());
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void when_anotherMemberJoinsAnEmbeddedNode_then_theEmbeddedNodeLeavesAndStops() throws Exception {
    String database = ClusterNodes.createDatabase();
    try (RunnelNode embedded = TestNodes.start(TestNodes.newDataDir())) {
      String seed = Cluster.get(embedded.system()).selfMember().address().toString();
      try (RunnelNode joining = TestNodes.start(TestNodes.newDataDir(), Map.of(
          "runnel.persistence.profile", "postgres",
          "runnel.persistence.postgres.url", ClusterNodes.databaseUrl(database),
          "pekko.cluster.seed-nodes", List.of(seed)))) {
        embedded.system().getWhenTerminated().toCompletableFuture().get(90, TimeUnit.SECONDS);
      }
    } finally {
      ClusterNodes.dropDatabase(database);
    }
  }
}
