package dev.runnel.broker;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A data directory written when {@code embedded} meant H2: a node on today's default (the segment journal) refuses
 * it instead of starting empty, and the setting its message names brings the data back.
 */
class JournalProfileUpgradeTest {

  @Test
  @Timeout(180)
  void when_aNodeOnTheDefaultProfileStartsOnAnH2DataDirectory_then_itRefusesAndTheH2ProfileServesTheData()
      throws Exception {
    Path dataDir = TestNodes.newDataDir();
    Map<String, Object> h2 = Map.of("runnel.persistence.profile", "h2");
    try (RunnelNode node = TestNodes.start(dataDir, h2)) {
      LogProbe.await(node.broker().createTopic("kept", 1, Map.of()));
    }

    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TestNodes.start(dataDir));
    assertTrue(refused.getMessage().contains("runnel.persistence.profile = h2"), refused.getMessage());

    try (RunnelNode node = TestNodes.start(dataDir, h2)) {
      Awaitility.await("the topic written on h2 is there").atMost(Duration.ofSeconds(60))
          .until(() -> node.broker().topics().stream().anyMatch(topic -> topic.name().equals("kept")));
    }
  }
}
