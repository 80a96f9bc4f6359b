package dev.runnel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.tools.consumer.group.ConsumerGroupCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code groups list|describe|reset-offsets|delete} against a real node with groups of real Kafka consumers; the
 * output of {@code groups describe} is compared with Kafka's own {@code kafka-consumer-groups.sh --describe}
 * ({@link ConsumerGroupCommand} of kafka-tools 4.3.1, in a JVM of its own) run against the same node's Kafka port.
 */
@Timeout(120)
class GroupsCommandTest {

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

  private static KafkaConsumer<String, String> consumer(String group, String clientId) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
  }

  private static void produce(String topic, int partition, int records) {
    String lines = "x\n".repeat(records);
    Cli.Result produced = cli.runWithInput(lines, "produce", topic, "--partition", Integer.toString(partition));
    assertEquals(0, produced.exitCode(), produced.toString());
  }

  /** Commits offsets of {@code topic} for {@code group} from a consumer that assigns itself, then leaves. */
  private static void commitAssigned(String group, String topic, int partition, long offset) {
    try (KafkaConsumer<String, String> assigned = consumer(group, "committer")) {
      TopicPartition tp = new TopicPartition(topic, partition);
      assigned.assign(List.of(tp));
      assigned.commitSync(Map.of(tp, new OffsetAndMetadata(offset)));
    }
  }

  /**
   * What Kafka's {@code kafka-consumer-groups.sh --describe --group G} prints, stdout and stderr: its class
   * ({@link ConsumerGroupCommand}, kafka-tools 4.3.1) run as the script runs it, in a JVM of its own, on this test's
   * classpath, with log lines sent to stderr so that stdout holds only the tool's table.
   */
  private static String[] kafkaDescribe(String group) throws Exception {
    Path logback = Files.writeString(Files.createTempFile(Path.of("target"), "logback-stderr", ".xml"), """
        <configuration>
          <appender name="err" class="ch.qos.logback.core.ConsoleAppender">
            <target>System.err</target>
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
          </appender>
          <root level="WARN"><appender-ref ref="err"/></root>
        </configuration>
        """);
    Process tool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-Dlogback.configurationFile=" + logback.toAbsolutePath(),
        "-cp", System.getProperty("java.class.path"), ConsumerGroupCommand.class.getName(),
        "--bootstrap-server", "127.0.0.1:" + node.kafkaPort(), "--describe", "--group", group)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(tool.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(tool.getErrorStream()));
    if (!tool.waitFor(60, TimeUnit.SECONDS)) {
      tool.destroyForcibly();
      throw new AssertionError("kafka-consumer-groups --describe did not end within 60 s");
    }
    String[] printed = {out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS)};
    assertEquals(0, tool.exitValue(), "kafka-consumer-groups failed:\n" + printed[0] + printed[1]);
    Files.delete(logback);
    return printed;
  }

  private static String read(InputStream stream) {
    try {
      return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The table's lines with runs of blanks made one space; blank lines and our own test log lines left out. */
  private static List<String> normalized(String text) {
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n")) {
      String trimmed = line.strip().replaceAll("\\s+", " ");
      if (!trimmed.isEmpty() && !trimmed.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*")) {
        lines.add(trimmed);
      }
    }
    return lines;
  }

  private static JsonNode describeJson(String group) {
    Cli.Result described = cli.run("groups", "describe", group, "--json");
    assertEquals(0, described.exitCode(), described.toString());
    return described.json();
  }

  @Test
  void when_aGroupHasAMemberAndCommittedOffsets_then_describeMatchesKafkasConsumerGroupsTool() throws Exception {
    assertEquals(0, cli.run("topics", "create", "ledger", "--partitions", "3").exitCode());
    assertEquals(0, cli.run("topics", "create", "audit", "--partitions", "1").exitCode());
    produce("ledger", 0, 10);
    produce("ledger", 1, 7);
    produce("ledger", 2, 4);
    produce("audit", 0, 3);
    String group = "billing";
    // A committed partition no member holds: Kafka shows it last with "-" for the member.
    commitAssigned(group, "audit", 0, 2);

    try (KafkaConsumer<String, String> member = consumer(group, "billing-client")) {
      member.subscribe(List.of("ledger"));
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        member.poll(Duration.ofMillis(100));
        return member.assignment().size() == 3;
      });
      // Partition 2 is assigned but has no committed offset: "-" for CURRENT-OFFSET and LAG.
      member.commitSync(Map.of(new TopicPartition("ledger", 0), new OffsetAndMetadata(5),
          new TopicPartition("ledger", 1), new OffsetAndMetadata(7)));
      await().atMost(Duration.ofSeconds(30)).until(() -> describeJson(group).path("state").asText().equals("Stable"));

      Cli.Result ours = cli.run("groups", "describe", group);
      String[] kafka = kafkaDescribe(group);

      assertEquals(0, ours.exitCode(), ours.toString());
      List<String> lines = normalized(ours.out());
      assertEquals(5, lines.size(), "a header and four rows: " + ours.out());
      assertEquals("GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID", lines.get(0));
      assertTrue(lines.get(1).matches("billing ledger 0 5 10 5 \\S+ \\S+ billing-client"), lines.get(1));
      assertTrue(lines.get(3).matches("billing ledger 2 - 4 - \\S+ \\S+ billing-client"), lines.get(3));
      assertEquals("billing audit 0 2 3 1 - - -", lines.get(4));
      assertEquals(normalized(kafka[0]), lines, "Kafka's tool printed:\n" + kafka[0] + kafka[1] + "\nwe printed:\n"
          + ours.out());
      assertEquals(kafka[0], ours.out(), "the same layout to the space");
    }

    await().atMost(Duration.ofSeconds(30)).until(() -> describeJson(group).path("state").asText().equals("Empty"));
    Cli.Result empty = cli.run("groups", "describe", group);
    String[] kafkaEmpty = kafkaDescribe(group);
    assertEquals(normalized(kafkaEmpty[0]), normalized(empty.out()), "an empty group, Kafka's tool:\n" + kafkaEmpty[0]);
    assertTrue(!normalized(empty.out()).contains("billing ledger 2 - 4 - - - -"),
        "an uncommitted partition of no member is not shown: " + empty.out());
    assertEquals(normalized(kafkaEmpty[1]).stream().filter(l -> l.startsWith("Consumer group")).toList(),
        normalized(empty.err()));
    assertEquals(List.of("Consumer group 'billing' has no active members."), normalized(empty.err()));
  }

  @Test
  void when_groupsAreListedResetAndDeleted_then_theBrokerStateFollows() {
    assertEquals(0, cli.run("topics", "create", "payments", "--partitions", "2").exitCode());
    produce("payments", 0, 6);
    produce("payments", 1, 4);
    commitAssigned("settled", "payments", 0, 1);

    Cli.Result listed = cli.run("groups", "list");
    assertEquals(0, listed.exitCode(), listed.toString());
    assertTrue(listed.out().lines().anyMatch(l -> l.matches("settled\\s+Empty\\s+\\S+\\s+0")), listed.out());
    JsonNode listedJson = cli.run("groups", "list", "--json").json();
    assertTrue(listedJson.toString().contains("\"group_id\":\"settled\""), listedJson.toString());

    Cli.Result latest = cli.run("groups", "reset-offsets", "settled", "--topic", "payments", "--to-latest");
    assertEquals(0, latest.exitCode(), latest.toString());
    assertTrue(latest.out().lines().anyMatch(l -> l.matches("settled\\s+payments\\s+0\\s+6")), latest.out());
    assertTrue(latest.out().lines().anyMatch(l -> l.matches("settled\\s+payments\\s+1\\s+4")), latest.out());

    JsonNode earliest = cli.run("groups", "reset-offsets", "settled", "--topic", "payments", "--to-earliest",
        "--json").json();
    for (JsonNode p : earliest) {
      assertEquals(0, p.path("committed_offset").asLong(-1), earliest.toString());
    }
    JsonNode toOffset = cli.run("groups", "reset-offsets", "settled", "--topic", "payments", "--to-offset", "5",
        "--json").json();
    assertEquals(List.of(5L, 4L), List.of(toOffset.get(0).path("committed_offset").asLong(),
        toOffset.get(1).path("committed_offset").asLong()), "clamped to each log: " + toOffset);
    JsonNode toTime = cli.run("groups", "reset-offsets", "settled", "--topic", "payments",
        "--to-datetime", "2000-01-01T00:00:00Z", "--json").json();
    assertEquals(0, toTime.get(0).path("committed_offset").asLong(-1), "every record is newer: " + toTime);
    JsonNode future = cli.run("groups", "reset-offsets", "settled", "--topic", "payments",
        "--to-timestamp", Long.toString(System.currentTimeMillis() + 3_600_000), "--json").json();
    assertEquals(6, future.get(0).path("committed_offset").asLong(-1), "no newer record: the log end: " + future);

    Cli.Result deleted = cli.run("groups", "delete", "settled");
    assertEquals(0, deleted.exitCode(), deleted.toString());
    assertEquals("Deletion of requested consumer groups ('settled') was successful.\n", deleted.out());
    Cli.Result gone = cli.run("groups", "describe", "settled");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, gone.exitCode(), gone.toString());
    assertTrue(gone.err().startsWith("Error: GROUP_ID_NOT_FOUND (69): "), gone.err());
  }

  @Test
  void when_aGroupHasMembersOrArgumentsAreBad_then_resetAndDeleteRefuseClearly() {
    assertEquals(0, cli.run("topics", "create", "busy", "--partitions", "1").exitCode());
    produce("busy", 0, 2);
    try (KafkaConsumer<String, String> member = consumer("busy-group", "busy-client")) {
      member.subscribe(List.of("busy"));
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        member.poll(Duration.ofMillis(100));
        return member.assignment().size() == 1;
      });
      Cli.Result reset = cli.run("groups", "reset-offsets", "busy-group", "--topic", "busy", "--to-earliest");
      assertEquals(RunnelCli.EXIT_BROKER_ERROR, reset.exitCode(), reset.toString());
      assertTrue(reset.err().startsWith("Error: NON_EMPTY_GROUP (68): "), reset.err());
      Cli.Result delete = cli.run("groups", "delete", "busy-group");
      assertEquals(RunnelCli.EXIT_BROKER_ERROR, delete.exitCode(), delete.toString());
      assertTrue(delete.err().startsWith("Error: NON_EMPTY_GROUP (68): "), delete.err());
    }

    Cli.Result noTarget = cli.run("groups", "reset-offsets", "busy-group", "--topic", "busy");
    assertEquals(RunnelCli.EXIT_USAGE, noTarget.exitCode(), noTarget.toString());
    assertTrue(noTarget.err().contains("Missing required argument"), noTarget.err());
    Cli.Result twoTargets = cli.run("groups", "reset-offsets", "busy-group", "--topic", "busy", "--to-earliest",
        "--to-latest");
    assertEquals(RunnelCli.EXIT_USAGE, twoTargets.exitCode(), twoTargets.toString());
    assertTrue(twoTargets.err().contains("mutually exclusive"), twoTargets.err());
    Cli.Result noTopic = cli.run("groups", "reset-offsets", "busy-group", "--to-earliest");
    assertEquals(RunnelCli.EXIT_USAGE, noTopic.exitCode(), noTopic.toString());
    assertTrue(noTopic.err().contains("--topic"), noTopic.err());
    Cli.Result badOffset = cli.run("groups", "reset-offsets", "busy-group", "--topic", "busy", "--to-offset", "ten");
    assertEquals(RunnelCli.EXIT_USAGE, badOffset.exitCode(), badOffset.toString());
    assertTrue(badOffset.err().contains("'ten' is not a long"), badOffset.err());
    Cli.Result badDate = cli.run("groups", "reset-offsets", "busy-group", "--topic", "busy", "--to-datetime",
        "yesterday");
    assertEquals(RunnelCli.EXIT_USAGE, badDate.exitCode(), badDate.toString());
    assertTrue(badDate.err().contains("'yesterday' is not an ISO-8601"), badDate.err());
    Cli.Result unknown = cli.run("groups", "describe", "never-was");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, unknown.exitCode(), unknown.toString());
    assertTrue(unknown.err().startsWith("Error: GROUP_ID_NOT_FOUND (69): "), unknown.err());
  }
}
