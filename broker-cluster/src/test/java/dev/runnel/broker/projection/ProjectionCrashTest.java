package dev.runnel.broker.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.ClusterNodes;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An exactly-once Pekko Projection (pekko-projection-jdbc, PostgreSQL) over {@code RunnelSourceProvider}, its JVM
 * SIGKILLed three times mid-way and restarted: the read model it ends with equals the one a single clean replay
 * from offset 0 builds, and both equal the sums of what was produced, every record counted once, in offset order
 * per key.
 */
@Timeout(240)
class ProjectionCrashTest {

  private static final String TOPIC = "orders";
  private static final int RECORDS = 3000;
  private static final int KEYS = 30;
  private static final int KILLS = 3;

  private RunnelNode node;
  private String database;
  private String url;
  private final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of(
        "runnel.broker.group.initial-rebalance-delay", "0 s",
        "runnel.broker.group.min-session-timeout", "1 s"));
    database = ClusterNodes.createDatabase();
    url = ClusterNodes.databaseUrl(database) + "?user=runnel&password=runnel";
  }

  @AfterEach
  void stop() throws Exception {
    processes.forEach(Process::destroyForcibly);
    node.close();
    ClusterNodes.dropDatabase(database);
  }

  @Test
  void when_anExactlyOnceProjectionIsKilledMidwayAndRestarted_then_itsReadModelEqualsACleanReplay() throws Exception {
    Map<String, Long> expected = produce();
    Random random = new Random(20261202L);
    for (int kill = 1; kill <= KILLS; kill++) {
      long threshold = (long) RECORDS * kill / (KILLS + 1) + random.nextInt(RECORDS / (2 * (KILLS + 1)));
      Process projection = run("totals", "totals");
      awaitEvents("totals", n -> n >= threshold, Duration.ofSeconds(60));
      projection.destroyForcibly();
      assertTrue(projection.waitFor(30, TimeUnit.SECONDS));
    }
    Process last = run("totals", "totals");
    awaitEvents("totals", n -> n == RECORDS, Duration.ofSeconds(90));
    Process replay = run("replay", "replay_totals");
    awaitEvents("replay_totals", n -> n == RECORDS, Duration.ofSeconds(90));
    last.destroyForcibly();
    replay.destroyForcibly();

    Map<String, List<Long>> afterKills = readModel("totals");
    Map<String, List<Long>> cleanReplay = readModel("replay_totals");
    assertEquals(cleanReplay, afterKills);
    assertEquals(KEYS, afterKills.size());
    afterKills.forEach((key, row) -> {
      assertEquals(expected.get(key), row.get(0), "total of " + key);
      assertEquals(0L, row.get(2), "records of " + key + " out of offset order");
    });
    assertEquals(RECORDS, afterKills.values().stream().mapToLong(row -> row.get(1)).sum());
  }

  /** Produces the records (value = an amount, key = one of KEYS); answers the sum per key. */
  private Map<String, Long> produce() throws Exception {
    String bootstrap = "127.0.0.1:" + node.kafkaPort();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(TOPIC, 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    Map<String, Long> sums = new TreeMap<>();
    Random random = new Random(7);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      for (int i = 0; i < RECORDS; i++) {
        String key = "customer-" + (i % KEYS);
        long amount = 1 + random.nextInt(1000);
        sums.merge(key, amount, Long::sum);
        producer.send(new ProducerRecord<>(TOPIC, key, Long.toString(amount)));
      }
      producer.flush();
    }
    return sums;
  }

  private Process run(String name, String table) throws Exception {
    Path log = Files.createTempFile("projection-" + name, ".log");
    Process process = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), TotalsProjection.class.getName(),
        "ws://127.0.0.1:" + node.httpPort(), url, name, table, TOPIC))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(process);
    return process;
  }

  private void awaitEvents(String table, LongPredicate done, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    long events = -1;
    while (System.nanoTime() < deadline) {
      events = events(table);
      if (done.test(events)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(table + " holds " + events + " events after " + timeout);
  }

  private long events(String table) throws SQLException {
    try (Connection connection = DriverManager.getConnection(url); Statement sql = connection.createStatement()) {
      ResultSet rows = sql.executeQuery("SELECT coalesce(sum(events), 0) FROM " + table);
      rows.next();
      return rows.getLong(1);
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return 0;
      }
      throw e;
    }
  }

  /** Per key: total, events, out_of_order. */
  private Map<String, List<Long>> readModel(String table) throws SQLException {
    Map<String, List<Long>> rows = new TreeMap<>();
    try (Connection connection = DriverManager.getConnection(url); Statement sql = connection.createStatement()) {
      ResultSet result = sql.executeQuery("SELECT key, total, events, out_of_order FROM " + table);
      while (result.next()) {
        rows.put(result.getString(1), List.of(result.getLong(2), result.getLong(3), result.getLong(4)));
      }
    }
    return rows;
  }
}
