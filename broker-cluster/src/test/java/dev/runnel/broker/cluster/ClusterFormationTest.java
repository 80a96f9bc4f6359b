package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How a node finds its cluster, read from configuration, and when it must refuse to start. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClusterFormationTest {

  private static ClusterFormation formation(Map<String, Object> overrides) {
    Config config = RunnelConfig.load(overrides, ConfigFactory.empty());
    return ClusterFormation.create(config);
  }

  @Test
  void when_nothingIsConfigured_then_theNodeFormsAClusterAloneWithoutManagement() {
    ClusterFormation formation = formation(Map.of());
    assertEquals(ClusterFormation.Join.SEED_NODES, formation.join());
    assertTrue(formation.formsAlone());
    assertFalse(formation.management());
    assertTrue(formation.refusal(true, "embedded").isEmpty(), "a lone embedded node is fine");
  }

  @Test
  void when_bootstrapIsChosen_then_managementRunsAndTheNodeDoesNotJoinItself() {
    ClusterFormation formation = formation(Map.of("runnel.cluster.join", "bootstrap"));
    assertTrue(formation.management(), "bootstrap's contact point is the management endpoint");
    assertFalse(formation.formsAlone());
    assertTrue(formation.refusal(false, "postgres").isEmpty());
  }

  @Test
  void when_managementIsEnabledWithSeedNodes_then_itRunsBesideThem() {
    ClusterFormation formation = formation(Map.of("runnel.cluster.management.enabled", "on",
        "pekko.cluster.seed-nodes", List.of("pekko://runnel@127.0.0.1:2552")));
    assertTrue(formation.management());
    assertFalse(formation.formsAlone());
  }

  @Test
  void when_bootstrapRunsOnTheEmbeddedProfile_then_theNodeRefusesAndSaysWhy() {
    String why = formation(Map.of("runnel.cluster.join", "bootstrap")).refusal(true, "embedded").orElseThrow();
    assertTrue(why.contains("embedded journal profile") && why.contains("runnel.persistence.profile = postgres"), why);
  }

  @Test
  void when_bootstrapAndSeedNodesAreBothSet_then_theNodeRefuses() {
    String why = formation(Map.of("runnel.cluster.join", "bootstrap",
        "pekko.cluster.seed-nodes", List.of("pekko://runnel@127.0.0.1:2552"))).refusal(false, "postgres").orElseThrow();
    assertTrue(why.contains("seed-nodes"), why);
  }

  @Test
  void when_joinIsMisspelt_then_theSettingIsNamed() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> formation(Map.of("runnel.cluster.join", "seeds")));
    assertTrue(refused.getMessage().contains("runnel.cluster.join"), refused.getMessage());
  }
}
