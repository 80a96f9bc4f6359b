package dev.runnel.broker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Several Runnel nodes, each in its own JVM, forming one Pekko cluster on loopback with the postgres profile: a
 * database of its own on the test PostgreSQL server ({@code RUNNEL_TEST_POSTGRES_URL}, from
 * {@code deploy/bin/test-services}), so no two test classes share a journal. Node ids are 1, 2, ...; node 1 is the
 * first seed node, or, made with {@link #bootstrapping(int)}, the nodes have no seed nodes and find each other
 * with Pekko Management Cluster Bootstrap and config discovery of their loopback management ports. Every node runs with {@code pekko.actor.serialize-messages = on}, so a message without a
 * serializer fails even between actors of one node. Nodes can be killed (SIGKILL), stopped (SIGTERM), frozen
 * (SIGSTOP) and thawed, restarted on their old ports, and added.
 *
 * <p>Not thread-safe: one test drives it.
 */
public final class ClusterNodes implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** One node: its id, ports and (while it runs) process. */
  public static final class Node {
    private final int id;
    private final int clusterPort;
    private final int kafkaPort;
    private final int httpPort;
    private final int managementPort;
    private final Path dataDir;
    private NodeProcess process;

    private Node(int id, int clusterPort, int kafkaPort, int httpPort, int managementPort, Path dataDir) {
      this.id = id;
      this.clusterPort = clusterPort;
      this.kafkaPort = kafkaPort;
      this.httpPort = httpPort;
      this.managementPort = managementPort;
      this.dataDir = dataDir;
    }

    public int id() {
      return id;
    }

    public int kafkaPort() {
      return kafkaPort;
    }

    public int clusterPort() {
      return clusterPort;
    }

    public int httpPort() {
      return httpPort;
    }

    /** The port of Pekko Management's endpoint (bootstrapping clusters only). */
    public int managementPort() {
      return managementPort;
    }

    public String kafka() {
      return "127.0.0.1:" + kafkaPort;
    }

    public NodeProcess process() {
      return process;
    }

    public boolean running() {
      return process != null && process.alive();
    }

    /** This node's output so far. */
    public String log() throws Exception {
      Path log = dataDir.resolve("log");
      return Files.exists(log) ? Files.readString(log) : "";
    }
  }

  private final String database;
  private final String jdbcUrl;
  private final Path baseDir;
  private final List<Node> nodes = new ArrayList<>();
  private final List<Integer> seedPorts = new ArrayList<>();
  private final boolean bootstrap;
  private final List<String> extraOptions;

  private ClusterNodes(String database, Path baseDir, boolean bootstrap, List<String> extraOptions) {
    this.database = database;
    this.jdbcUrl = databaseUrl(database);
    this.baseDir = baseDir;
    this.bootstrap = bootstrap;
    this.extraOptions = List.copyOf(extraOptions);
  }

  /** Creates a database of its own and starts {@code count} nodes on it, waiting until every node sees all Up. */
  public static ClusterNodes start(int count) throws Exception {
    ClusterNodes cluster = new ClusterNodes(createDatabase(), TestNodes.newDataDir(), false, List.of());
    try {
      for (int i = 0; i < count; i++) {
        cluster.seedPorts.add(NodeProcess.freePort());
      }
      List<Thread> starting = new ArrayList<>();
      List<Exception> failures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Node node = cluster.newNode(cluster.seedPorts.get(i));
        Thread thread = new Thread(() -> {
          try {
            cluster.launch(node);
          } catch (Exception e) {
            synchronized (failures) {
              failures.add(e);
            }
          }
        });
        thread.start();
        starting.add(thread);
      }
      for (Thread thread : starting) {
        thread.join();
      }
      if (!failures.isEmpty()) {
        throw failures.get(0);
      }
      cluster.awaitUp(count, Duration.ofSeconds(120));
      return cluster;
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * Creates a database of its own and {@code count} nodes, not yet started, that have no seed nodes: each runs
   * Cluster Bootstrap with config discovery listing every node's loopback management port, and the first
   * {@code count} to answer form the cluster. Start them with {@link #startNode(int)}. Every node also gets
   * {@code jvmOptions}.
   */
  public static ClusterNodes bootstrapping(int count, List<String> jvmOptions) throws Exception {
    ClusterNodes cluster = new ClusterNodes(createDatabase(), TestNodes.newDataDir(), true, jvmOptions);
    for (int i = 0; i < count; i++) {
      cluster.newNode(NodeProcess.freePort());
    }
    return cluster;
  }

  /**
   * Starts a node that is not running, and returns once its servers listen (its ready line), without waiting for
   * it to join the cluster.
   */
  public Node startNode(int id) throws Exception {
    Node node = node(id);
    if (node.running()) {
      throw new IllegalStateException("node " + id + " is running");
    }
    launch(node);
    return node;
  }

  /** The status code of a GET of Pekko Management's endpoint on this node ({@code /ready}, {@code /alive}). */
  public int managementStatus(Node node, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.managementPort + path))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** The JDBC URL of this cluster's own database (user and password runnel). */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  public Node node(int id) {
    return nodes.get(id - 1);
  }

  public List<Node> running() {
    return nodes.stream().filter(Node::running).toList();
  }

  /** The running nodes' Kafka addresses, as a bootstrap list. */
  public String bootstrap() {
    return running().stream().map(Node::kafka).collect(Collectors.joining(","));
  }

  /** Starts one more node that joins the running cluster, and waits until every running node sees all Up. */
  public Node add() throws Exception {
    Node node = newNode(NodeProcess.freePort());
    launch(node);
    awaitUp(running().size(), Duration.ofSeconds(60));
    return node;
  }

  /** Starts a stopped or killed node again on its old ports and data directory. */
  public void restart(int id) throws Exception {
    Node node = node(id);
    if (node.running()) {
      throw new IllegalStateException("node " + id + " is running");
    }
    launch(node);
    awaitUp(running().size(), Duration.ofSeconds(60));
  }

  /**
   * Waits until every running node's {@code GET /cluster} lists {@code count} members Up, each with its node id
   * known, and no other member.
   */
  public void awaitUp(int count, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Node node : running()) {
      while (upMembers(node) != count) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("node " + node.id + " does not see " + count + " members Up with node ids: "
              + cluster(node));
        }
        Thread.sleep(200);
      }
    }
  }

  /** The members node {@code node} lists as Up with a known node id, or -1 when it does not answer. */
  public int upMembers(Node node) {
    try {
      JsonNode members = cluster(node).path("members");
      int up = 0;
      for (JsonNode member : members) {
        if (!member.path("status").asText().equals("Up") || member.path("node_id").asInt() < 0) {
          return -1;
        }
        up++;
      }
      return up;
    } catch (Exception e) {
      return -1;
    }
  }

  /** How many members a node's {@code GET /cluster} lists, whatever their status, or -1 when it does not answer. */
  public int members(Node node) {
    try {
      return cluster(node).path("members").size();
    } catch (Exception e) {
      return -1;
    }
  }

  /** A node's {@code GET /cluster}. */
  public JsonNode cluster(Node node) throws Exception {
    return getJson(node, "/cluster");
  }

  public JsonNode getJson(Node node, String path) throws Exception {
    HttpResponse<String> response = HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort + path))
            .timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET " + path + " on node " + node.id + ": " + response.statusCode() + " "
          + response.body());
    }
    return JSON.readTree(response.body());
  }

  /** Partition number to leader node id, as {@code node}'s {@code GET /cluster} reports them for {@code topic}. */
  public Map<Integer, Integer> leaders(Node node, String topic) throws Exception {
    Map<Integer, Integer> leaders = new TreeMap<>();
    for (JsonNode partition : cluster(node).path("partitions")) {
      if (partition.path("topic").asText().equals(topic)) {
        leaders.put(partition.path("partition").asInt(), partition.path("leader").asInt());
      }
    }
    return leaders;
  }

  private Node newNode(int clusterPort) throws Exception {
    int id = nodes.size() + 1;
    Path dir = baseDir.resolve("node-" + id);
    Files.createDirectories(dir);
    Node node = new Node(id, clusterPort, NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort(), dir);
    nodes.add(node);
    return node;
  }

  private void launch(Node node) throws Exception {
    List<String> options = new ArrayList<>(List.of(
        "-Xmx384m",
        "-XX:+UseSerialGC",
        // Test nodes live for minutes: C1 alone starts them faster on a shared machine.
        "-XX:TieredStopAtLevel=1",
        "-Drunnel.persistence.profile=postgres",
        "-Drunnel.persistence.postgres.url=" + jdbcUrl,
        "-Drunnel.persistence.postgres.connections=4",
        "-Drunnel.broker.kafka.node-id=" + node.id,
        "-Dpekko.remote.artery.canonical.port=" + node.clusterPort,
        "-Dpekko.actor.serialize-messages=on",
        "-Dpekko.loglevel=INFO"));
    options.addAll(extraOptions);
    if (bootstrap) {
      options.add("-Drunnel.cluster.join=bootstrap");
      options.add("-Dpekko.management.http.port=" + node.managementPort);
      options.add("-Dpekko.management.cluster.bootstrap.contact-point-discovery.discovery-method=config");
      options.add("-Dpekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr="
          + nodes.size());
      for (int i = 0; i < nodes.size(); i++) {
        String endpoint = "-Dpekko.discovery.config.services.runnel.endpoints." + i;
        options.add(endpoint + ".host=127.0.0.1");
        options.add(endpoint + ".port=" + nodes.get(i).managementPort);
      }
    } else {
      for (int i = 0; i < seedPorts.size(); i++) {
        options.add("-Dpekko.cluster.seed-nodes." + i + "=pekko://runnel@127.0.0.1:" + seedPorts.get(i));
      }
    }
    node.process = NodeProcess.start(node.dataDir.resolve("data"), node.httpPort, node.kafkaPort, options,
        node.dataDir.resolve("log"));
  }

  /** The test PostgreSQL server's JDBC URL (its database runnel). */
  public static String serverUrl() {
    return System.getenv().getOrDefault("RUNNEL_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/runnel");
  }

  /** Creates a new, empty database on the test server and returns its name. */
  public static String createDatabase() throws Exception {
    String database = "cluster_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    sql(serverUrl(), "CREATE DATABASE " + database);
    return database;
  }

  /** The JDBC URL of a database of the test server. */
  public static String databaseUrl(String database) {
    String server = serverUrl();
    return server.substring(0, server.lastIndexOf('/') + 1) + database;
  }

  /** Drops a database of the test server, closing its connections. */
  public static void dropDatabase(String database) throws Exception {
    sql(serverUrl(), "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  }

  /** Runs one statement on the test server as runnel (test-services gives that role CREATEDB). */
  private static void sql(String url, String statement) throws Exception {
    try (Connection connection = DriverManager.getConnection(url, "runnel", "runnel");
        Statement sql = connection.createStatement()) {
      sql.execute(statement);
    }
  }

  /** Kills every node still running (SIGKILL; a frozen one is thawed first) and drops the database. */
  @Override
  public void close() throws Exception {
    for (Node node : nodes) {
      if (node.process != null) {
        node.process.close();
      }
    }
    dropDatabase(database);
  }
}
