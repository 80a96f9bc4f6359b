package dev.runnel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.tools.TransactionsCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kafka's own {@code kafka-transactions.sh list} and {@code describe} ({@link TransactionsCommand} of kafka-tools
 * 4.3.1, which this module has on its test classpath for Kafka's group tool too) against a node with one open and one
 * committed transaction. The tool runs in a JVM of its own, as the script runs it, so its exit code and its error
 * path ({@code Exit.exit}) are the real ones, and on the kafka-clients 4.3.1 it was built for (copied to
 * {@code target/kafka-tools-lib} by the build) in place of the 4.4 the broker uses.
 */
@Timeout(120)
class KafkaTransactionsToolTest {

  private static RunnelNode node;
  private static Admin admin;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir());
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    admin.createTopics(List.of(new NewTopic("payments", 2, (short) 1))).all().get();
  }

  @AfterAll
  static void stop() {
    admin.close();
    node.close();
  }

  private static String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  private static KafkaProducer<String, String> transactional(String transactionalId) {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "45000");
    return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
  }

  /** What the tool printed and how it ended. */
  private record Run(int exitCode, String out, String err) {
    /** The table's rows (the header first), each split at runs of blanks, as the tool pads its columns. */
    List<List<String>> rows() {
      List<List<String>> rows = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (!line.isBlank()) {
          rows.add(List.of(line.strip().split("\\s+")));
        }
      }
      return rows;
    }
  }

  /** This JVM's class path with kafka-clients 4.3.1 in place of 4.4. */
  private static String toolClasspath() throws IOException {
    List<String> entries = new ArrayList<>();
    try (var jars = Files.list(Path.of("target", "kafka-tools-lib"))) {
      jars.forEach(jar -> entries.add(jar.toAbsolutePath().toString()));
    }
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!Path.of(entry).getFileName().toString().startsWith("kafka-clients-")) {
        entries.add(entry);
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  /** {@code kafka-transactions.sh --bootstrap-server <node> args…} in a JVM of its own. */
  private static Run tool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", toolClasspath(), TransactionsCommand.class.getName(),
        "--bootstrap-server", bootstrap()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("kafka-transactions", ".out");
    Path err = Files.createTempFile("kafka-transactions", ".err");
    Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("kafka-transactions.sh " + String.join(" ", args) + " did not end in 60 s");
    }
    return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void when_transactionsAreOpenAndCommitted_then_kafkasToolListsAndDescribesThem() throws Exception {
    try (KafkaProducer<String, String> open = transactional("tool-open");
        KafkaProducer<String, String> done = transactional("tool-done")) {
      done.initTransactions();
      done.beginTransaction();
      done.send(new ProducerRecord<>("payments", 0, "k", "settled")).get();
      done.commitTransaction();
      open.initTransactions();
      open.beginTransaction();
      open.send(new ProducerRecord<>("payments", 0, "k", "pending")).get();
      open.send(new ProducerRecord<>("payments", 1, "k", "pending")).get();
      TransactionDescription expected = admin.describeTransactions(List.of("tool-open"))
          .description("tool-open").get();

      Run list = tool("list");
      assertEquals(0, list.exitCode(), list.toString());
      List<List<String>> rows = list.rows();
      assertEquals(List.of("TransactionalId", "Coordinator", "ProducerId", "TransactionState"), rows.get(0));
      String coordinator = Integer.toString(expected.coordinatorId());
      assertTrue(rows.contains(List.of("tool-open", coordinator, Long.toString(expected.producerId()), "Ongoing")),
          "the open transaction is listed: " + list.out());
      assertTrue(rows.stream().anyMatch(row -> row.get(0).equals("tool-done") && row.get(3).equals("CompleteCommit")),
          "the committed one too: " + list.out());

      Run describe = tool("describe", "--transactional-id", "tool-open");
      assertEquals(0, describe.exitCode(), describe.toString());
      List<List<String>> described = describe.rows();
      assertEquals(List.of("CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
          "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs", "TopicPartitions"),
          described.get(0));
      List<String> row = described.get(1);
      assertEquals(List.of(coordinator, "tool-open", Long.toString(expected.producerId()),
          Integer.toString(expected.producerEpoch()), "Ongoing", "45000"), row.subList(0, 6));
      assertEquals(Long.toString(expected.transactionStartTimeMs().getAsLong()), row.get(6));
      assertTrue(Long.parseLong(row.get(7)) >= 0, "a duration: " + row);
      Set<String> partitions = new TreeSet<>(List.of(row.get(8).split(",")));
      assertEquals(Set.of("payments-0", "payments-1"), partitions, "the open transaction's partitions");

      open.abortTransaction();
    }
  }

  @Test
  void when_anUnknownTransactionalIdIsDescribed_then_theToolFailsNamingTheError() throws Exception {
    Run describe = tool("describe", "--transactional-id", "never-used");
    assertNotEquals(0, describe.exitCode(), describe.toString());
    // The admin client's words for TRANSACTIONAL_ID_NOT_FOUND, which the tool prints before it exits.
    assertTrue((describe.out() + describe.err()).contains("`never-used` failed because the ID could not be found"),
        "Kafka's error for an id never initialized: " + describe);
  }
}
