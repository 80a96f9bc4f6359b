package dev.runnel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code topics create|list|describe|alter|delete} against a real node, as tables and as {@code --json}. */
@Timeout(120)
class TopicsCommandTest {

  private static RunnelNode node;
  private static Cli cli;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    cli = new Cli(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static JsonNode config(JsonNode description, String name) {
    for (JsonNode c : description.path("configs")) {
      if (c.path("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no config " + name + " in " + description);
  }

  @Test
  void when_aTopicIsCreated_then_listAndDescribeShowItsPartitionsAndConfigs() {
    Cli.Result created = cli.run("topics", "create", "orders", "--partitions", "3", "--config", "retention.ms=60000");
    assertEquals(0, created.exitCode(), created.toString());
    assertEquals("Created topic orders with 3 partition(s).\n", created.out());

    Cli.Result listed = cli.run("topics", "list");
    assertEquals(0, listed.exitCode(), listed.toString());
    List<String> lines = listed.out().lines().toList();
    assertEquals(List.of("TOPIC", "PARTITIONS", "TOPIC-ID", "CONFIGS"), List.of(lines.get(0).split("\\s+")));
    String row = lines.stream().filter(l -> l.startsWith("orders ")).findFirst()
        .orElseThrow(() -> new AssertionError(listed.toString()));
    String[] cells = row.split("\\s+");
    assertEquals("3", cells[1], row);
    assertEquals("retention.ms=60000", cells[3], row);

    Cli.Result listedJson = cli.run("topics", "list", "--json");
    JsonNode orders = null;
    for (JsonNode topic : listedJson.json()) {
      if (topic.path("name").asText().equals("orders")) {
        orders = topic;
      }
    }
    assertEquals(3, orders.path("partitions").asInt(), listedJson.toString());
    assertEquals(cells[2], orders.path("topic_id").asText(), "the table shows the topic id the JSON has");

    Cli.Result described = cli.run("topics", "describe", "orders");
    assertEquals(0, described.exitCode(), described.toString());
    assertTrue(described.out().startsWith("Topic: orders  TopicId: " + cells[2] + "  PartitionCount: 3\n"),
        described.out());
    assertTrue(described.out().lines().anyMatch(l -> l.matches("retention\\.ms\\s+60000\\s+topic")), described.out());
    assertTrue(described.out().lines().anyMatch(l -> l.matches("cleanup\\.policy\\s+delete\\s+default")),
        described.out());
    assertTrue(described.out().lines().anyMatch(l -> l.matches("2\\s+0\\s+0\\s+0")), "partition 2, empty: "
        + described.out());

    JsonNode json = cli.run("--json", "topics", "describe", "orders").json();
    assertEquals(3, json.path("partitions").size());
    assertEquals("60000", config(json, "retention.ms").path("value").asText());
  }

  @Test
  void when_aTopicIsAltered_then_namedConfigsChangeOthersStayAndPartitionsGrow() {
    assertEquals(0, cli.run("topics", "create", "altered", "--partitions", "1",
        "--config", "retention.ms=60000", "--config", "max.message.bytes=4096").exitCode());

    Cli.Result altered = cli.run("topics", "alter", "altered", "--partitions", "4",
        "--config", "retention.bytes=1048576", "--delete-config", "max.message.bytes", "--json");

    assertEquals(0, altered.exitCode(), altered.toString());
    JsonNode after = altered.json();
    assertEquals(4, after.path("partitions").size(), altered.toString());
    assertEquals("60000", config(after, "retention.ms").path("value").asText(), "a config not named stays");
    assertTrue(config(after, "retention.ms").path("overridden").asBoolean());
    assertEquals("1048576", config(after, "retention.bytes").path("value").asText());
    assertFalse(config(after, "max.message.bytes").path("overridden").asBoolean(), "a deleted override is gone");

    Cli.Result nothing = cli.run("topics", "alter", "altered");
    assertEquals(RunnelCli.EXIT_USAGE, nothing.exitCode(), nothing.toString());
    assertTrue(nothing.err().contains("Nothing to alter"), nothing.err());

    Cli.Result fewer = cli.run("topics", "alter", "altered", "--partitions", "2");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, fewer.exitCode(), fewer.toString());
    assertTrue(fewer.err().startsWith("Error: INVALID_PARTITIONS (37): "), fewer.err());

    Cli.Result badConfig = cli.run("topics", "alter", "altered", "--config", "retention.ms=soon");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, badConfig.exitCode(), badConfig.toString());
    assertTrue(badConfig.err().startsWith("Error: INVALID_CONFIG (40): "), badConfig.err());
  }

  @Test
  void when_aTopicIsDeleted_then_itIsGoneAndAgainIsUnknown() {
    assertEquals(0, cli.run("topics", "create", "doomed").exitCode());

    Cli.Result deleted = cli.run("topics", "delete", "doomed");

    assertEquals(0, deleted.exitCode(), deleted.toString());
    assertEquals("Deleted topic doomed.\n", deleted.out());
    List<String> names = new ArrayList<>();
    cli.run("topics", "list", "--json").json().forEach(t -> names.add(t.path("name").asText()));
    assertFalse(names.contains("doomed"), names.toString());
    Cli.Result again = cli.run("topics", "delete", "doomed");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, again.exitCode(), again.toString());
    assertTrue(again.err().startsWith("Error: UNKNOWN_TOPIC_OR_PARTITION (3): "), again.err());
    assertEquals("", again.out());
  }

  @Test
  void when_theBrokerRefusesACreation_then_itsErrorNameAndExitCode1() {
    assertEquals(0, cli.run("topics", "create", "twice").exitCode());
    Cli.Result twice = cli.run("topics", "create", "twice");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, twice.exitCode(), twice.toString());
    assertTrue(twice.err().startsWith("Error: TOPIC_ALREADY_EXISTS (36): "), twice.err());

    Cli.Result badName = cli.run("topics", "create", "no spaces allowed");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, badName.exitCode(), badName.toString());
    assertTrue(badName.err().startsWith("Error: INVALID_TOPIC_EXCEPTION (17): "), badName.err());

    Cli.Result badConfig = cli.run("topics", "create", "configured", "--config", "retention.ms");
    assertEquals(RunnelCli.EXIT_USAGE, badConfig.exitCode(), badConfig.toString());
    assertTrue(badConfig.err().contains("'retention.ms' is not KEY=VALUE"), badConfig.err());
  }
}
