package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.ConnectWorker;
import dev.runnel.broker.testkit.TestNodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kafka Connect 4.3.1, unchanged: two distributed workers in JVMs of their own ({@link ConnectWorker}, Kafka's own
 * classpath) form one Connect cluster on an in-process node, keep their connector configs, source offsets and
 * statuses in compacted topics they create on it, and copy a file line by line through a topic into another file
 * with Kafka's FileStream connectors, deployed through the REST API. The worker that runs the source task is
 * SIGKILLed while lines are still being written; the task moves to the other worker, and the sink file ends up holding
 * every line exactly once, in order.
 *
 * <p>What makes that exact rather than at-least-once: the workers run with {@code exactly.once.source.support=enabled}
 * (KIP-618), so the source task writes each poll's records and its file offset in one Runnel transaction, and the
 * moved task resumes from the offset committed with the last records that were; the killed task's open transaction
 * is aborted when the new task's producer fences it. The sink reads {@code read_committed}. The sink task stays on the
 * surviving worker throughout (the test checks it): FileStreamSink only appends to its file, so a killed sink task
 * would rewrite what it had written since its last consumer offset commit, which no setting avoids.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class KafkaConnectTest {

  private static final String TOPIC = "file-lines";
  private static final int LINES = 2000;

  private static RunnelNode node;
  private static Admin admin;
  private final List<ConnectWorker> workers = new ArrayList<>();

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.group.initial-rebalance-delay", "0 s"));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
  }

  @AfterAll
  static void stop() {
    admin.close();
    node.close();
  }

  @AfterEach
  void stopWorkers() throws InterruptedException {
    for (ConnectWorker worker : workers) {
      worker.close();
    }
  }

  private static String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  @Test
  void when_theWorkerRunningTheFileSourceIsKilled_then_itsTaskMovesAndTheSinkFileHoldsEveryLineOnceInOrder()
      throws Exception {
    Path dir = TestNodes.newDataDir();
    Path source = Files.createFile(dir.resolve("source.txt"));
    Path sink = dir.resolve("sink.txt");
    // One partition, so the sink file's order is the source file's.
    admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();

    ConnectWorker first = worker(dir.resolve("worker-1"));
    ConnectWorker second = worker(dir.resolve("worker-2"));
    first.awaitReady();
    second.awaitReady();

    // Kafka's compacted internal topics, created by the workers on Runnel.
    for (String internal : List.of("connect-configs", "connect-offsets", "connect-status")) {
      ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, internal);
      Config config = admin.describeConfigs(List.of(topic)).all().get().get(topic);
      assertEquals("compact", config.get("cleanup.policy").value(), internal + " is compacted");
    }

    // The sink first: Connect's assignor gives the next connector and task to the worker with fewer, the other one.
    assertEquals(201, first.post("/connectors", connector("file-sink", Map.of(
        "connector.class", "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "tasks.max", "1",
        "topics", TOPIC,
        "file", sink.toString()))).status());
    String sinkWorker = awaitRunningTask(first, "file-sink");
    assertEquals(201, second.post("/connectors", connector("file-source", Map.of(
        "connector.class", "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "tasks.max", "1",
        "topic", TOPIC,
        "file", source.toString()))).status());
    String sourceWorker = awaitRunningTask(first, "file-source");
    assertNotEquals(sinkWorker, sourceWorker, "the source task runs on the worker that is killed, the sink elsewhere");
    ConnectWorker killed = sourceWorker.equals(first.id()) ? first : second;
    ConnectWorker survivor = killed == first ? second : first;

    appendLines(source, 1, LINES / 2, 0);
    awaitSinkLines(sink, LINES / 2);

    // The second half is written while the source's worker is killed and its task moves.
    CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> appendLines(source, LINES / 2 + 1, LINES, 5));
    awaitSinkLines(sink, LINES / 2 + 100);
    killed.kill();
    writing.get(60, TimeUnit.SECONDS);

    // The status topic says RUNNING on the killed worker until the moved task reports itself.
    awaitTaskRunningOn(survivor, "file-source", survivor.id());
    awaitSinkLines(sink, LINES);
    assertEquals(survivor.id(), awaitRunningTask(survivor, "file-sink"), "the sink task never moved");
    // The sink writes in the topic's order and the source reads its file in order: a replayed line would stand
    // before the last one, so once the last line is there the file is complete.
    List<String> written = Files.readAllLines(sink, StandardCharsets.UTF_8);
    List<String> expected = expectedLines(LINES);
    assertEquals(List.of(), repeated(written), "no line written twice");
    assertEquals(List.of(), missing(expected, written), "no line lost");
    assertTrue(expected.equals(written), "the lines in the source file's order");
  }

  private static List<String> repeated(List<String> lines) {
    Set<String> seen = new HashSet<>();
    return lines.stream().filter(line -> !seen.add(line)).toList();
  }

  private static List<String> missing(List<String> expected, List<String> lines) {
    Set<String> written = new HashSet<>(lines);
    return expected.stream().filter(line -> !written.contains(line)).toList();
  }

  private ConnectWorker worker(Path dir) throws IOException {
    Map<String, String> config = new HashMap<>();
    config.put("bootstrap.servers", bootstrap());
    config.put("group.id", "runnel-connect");
    config.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    config.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
    config.put("config.storage.topic", "connect-configs");
    config.put("offset.storage.topic", "connect-offsets");
    config.put("status.storage.topic", "connect-status");
    config.put("config.storage.replication.factor", "1");
    config.put("offset.storage.replication.factor", "1");
    config.put("status.storage.replication.factor", "1");
    // Fewer than Kafka's 25 and 5: partitions cost start-up time, and two workers need few.
    config.put("offset.storage.partitions", "5");
    config.put("status.storage.partitions", "2");
    config.put("exactly.once.source.support", "enabled");
    config.put("consumer.isolation.level", "read_committed");
    config.put("offset.flush.interval.ms", "500");
    // A killed worker is noticed after its session timeout (the broker's minimum), and its tasks are given to the
    // others at once instead of after Kafka's 5 minutes of waiting for it to come back.
    config.put("session.timeout.ms", "6000");
    config.put("heartbeat.interval.ms", "1000");
    config.put("scheduled.rebalance.max.delay.ms", "0");
    // The connectors are on the classpath and declare themselves in META-INF/services: no reflective scan.
    config.put("plugin.discovery", "service_load");
    ConnectWorker worker = ConnectWorker.start(dir, config);
    workers.add(worker);
    return worker;
  }

  private static Map<String, Object> connector(String name, Map<String, String> config) {
    return Map.of("name", name, "config", config);
  }

  /** Waits until the connector's only task is RUNNING, as {@code worker} reports it, and answers where it runs. */
  private static String awaitRunningTask(ConnectWorker worker, String connector) {
    String[] runningOn = new String[1];
    await(connector + "'s task running").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
        .until(() -> {
          ConnectWorker.Response status = worker.get("/connectors/" + connector + "/status");
          JsonNode task = status.body().path("tasks").path(0);
          runningOn[0] = task.path("worker_id").asText();
          return status.status() == 200 && "RUNNING".equals(task.path("state").asText());
        });
    return runningOn[0];
  }

  private static void awaitTaskRunningOn(ConnectWorker worker, String connector, String workerId) {
    await(connector + "'s task running on " + workerId).atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> {
          JsonNode task = worker.get("/connectors/" + connector + "/status").body().path("tasks").path(0);
          return "RUNNING".equals(task.path("state").asText()) && workerId.equals(task.path("worker_id").asText());
        });
  }

  private static void awaitSinkLines(Path sink, int lines) {
    await("the sink file holding " + lines + " lines").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> Files.exists(sink) && Files.readAllLines(sink, StandardCharsets.UTF_8).size() >= lines);
  }

  /** Appends lines {@code from} to {@code to}, one write each, {@code pauseMillis} apart. */
  private static void appendLines(Path file, int from, int to, long pauseMillis) {
    try {
      for (int line = from; line <= to; line++) {
        Files.writeString(file, line(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        if (pauseMillis > 0) {
          Thread.sleep(pauseMillis);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static List<String> expectedLines(int lines) {
    return IntStream.rangeClosed(1, lines).mapToObj(KafkaConnectTest::line).toList();
  }

  private static String line(int number) {
    return String.format("line %05d of the source file", number);
  }
}
