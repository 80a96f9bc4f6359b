package dev.runnel.bench.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Failover time of a running {@code deploy/bin/cluster}: while a {@link ContinuousProducer} writes to every partition
 * of a topic, SIGKILLs one node per round (node 1, 2, ... in turn), times from the kill until every partition has
 * accepted a write sent after it, starts the node again with {@code deploy/bin/cluster start-node}, and waits until
 * it has rejoined (every node sees all members Up, Metadata names it a leader again) and writes flow steadily to
 * every partition before the next round. Prints one line per round, then the median and the worst; asserts nothing.
 *
 * <p>Usage: {@code FailoverBench CLUSTER_SCRIPT CLUSTER_DIR NODES_FILE [--kills N] [--partitions P]}, where
 * NODES_FILE holds the lines {@code deploy/bin/cluster start} printed.
 */
public final class FailoverBench {

  private static final String TOPIC = "failover";
  private static final Duration WRITABLE_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration REJOIN_TIMEOUT = Duration.ofSeconds(180);
  /**
   * Steady means every partition acknowledged within the last {@link #STEADY_MAX_GAP}, for {@link #STEADY_WINDOW} in
   * a row: longer than the shard coordinator's rebalance-interval (2 s), so the share of partitions a rejoined node
   * takes back has moved before the next kill.
   */
  private static final Duration STEADY_WINDOW = Duration.ofSeconds(3);
  private static final Duration STEADY_MAX_GAP = Duration.ofSeconds(1);

  private FailoverBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      usage();
    }
    Path script = Path.of(args[0]);
    Path clusterDir = Path.of(args[1]);
    List<ClusterNode> nodes = new ArrayList<>(Files.readAllLines(Path.of(args[2])).stream()
        .filter(line -> line.startsWith("node ")).map(ClusterNode::parse).toList());
    int kills = 5;
    int partitions = 12;
    for (int i = 3; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        usage();
      }
      switch (args[i]) {
        case "--kills" -> kills = Integer.parseInt(args[i + 1]);
        case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
        default -> usage();
      }
    }
    String bootstrap = nodes.stream().map(ClusterNode::kafka).collect(Collectors.joining(","));
    System.out.printf("failover: %d nodes, topic of %d partitions; one idempotent producer (acks=all, kafka-clients"
        + " defaults otherwise) writing %d B to every partition every %d ms%n", nodes.size(), partitions,
        ContinuousProducer.RECORD_BYTES, ContinuousProducer.SEND_INTERVAL.toMillis());

    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      createTopic(admin, partitions, (short) nodes.size());
      List<Duration> writable = new ArrayList<>();
      try (ContinuousProducer producer = new ContinuousProducer(bootstrap, TOPIC, partitions)) {
        if (!producer.awaitSteady(STEADY_WINDOW, STEADY_MAX_GAP, REJOIN_TIMEOUT)) {
          fail("writes never flowed steadily to every partition; last failure: " + producer.lastFailure());
        }
        for (int round = 1; round <= kills; round++) {
          writable.add(round(round, nodes, admin, producer, partitions, script, clusterDir));
        }
        System.out.printf("producer: %d records acknowledged, %d sends failed%s%n", producer.acked(),
            producer.failures(), producer.failures() == 0 ? "" : " (last: " + producer.lastFailure() + ")");
      }
      if (!writable.isEmpty()) {
        List<Duration> sorted = writable.stream().sorted().toList();
        System.out.printf("failover over %d kills: median %s s, worst %s s%n", sorted.size(), seconds(median(sorted)),
            seconds(sorted.get(sorted.size() - 1)));
      }
    }
  }

  /**
   * Kills the round's node, waits until every partition is writable again, starts the node again and waits until it
   * has rejoined and writes flow steadily; returns the time from the kill until every partition was writable.
   */
  private static Duration round(int round, List<ClusterNode> nodes, Admin admin, ContinuousProducer producer,
      int partitions, Path script, Path clusterDir) throws Exception {
    int index = (round - 1) % nodes.size();
    ClusterNode victim = nodes.get(index);
    long led = leaders(admin).values().stream().filter(id -> id == victim.id()).count();
    ProcessHandle process = ProcessHandle.of(victim.pid())
        .orElseThrow(() -> new IllegalStateException("node " + victim.id() + " (pid " + victim.pid()
            + ") is not running"));

    ContinuousProducer.Outage outage = producer.outageFromNow();
    process.destroyForcibly();
    if (!outage.awaitWritable(WRITABLE_TIMEOUT)) {
      fail("round " + round + ": partitions " + Arrays.toString(outage.notWritable())
          + " accepted no write within " + WRITABLE_TIMEOUT.toSeconds() + " s of node " + victim.id()
          + "'s kill; last failure: " + producer.lastFailure());
    }
    process.onExit().get(30, TimeUnit.SECONDS);
    Duration untilWritable = outage.untilAllWritable();
    int widest = outage.widestGapPartition();
    System.out.printf("round %d: SIGKILL node %d (pid %d, led %d of %d partitions): every partition writable"
        + " again after %s s; longest gap between acks %s s (partition %d)%n", round, victim.id(), victim.pid(),
        led, partitions, seconds(untilWritable), seconds(outage.gap(widest)), widest);

    long rejoinStart = System.nanoTime();
    ClusterNode restarted = startNode(script, clusterDir, victim.id());
    nodes.set(index, restarted);
    awaitLeader(admin, restarted.id());
    if (!producer.awaitSteady(STEADY_WINDOW, STEADY_MAX_GAP, REJOIN_TIMEOUT)) {
      fail("round " + round + ": writes did not flow steadily again after node " + victim.id()
          + " rejoined; last failure: " + producer.lastFailure());
    }
    System.out.printf("round %d: node %d started again (pid %d), rejoined and steady after %s s%n", round,
        restarted.id(), restarted.pid(), seconds(Duration.ofNanos(System.nanoTime() - rejoinStart)));
    return untilWritable;
  }

  /** The middle of sorted durations (the mean of the two middle ones for an even count). */
  private static Duration median(List<Duration> sorted) {
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : sorted.get(n / 2 - 1).plus(sorted.get(n / 2)).dividedBy(2);
  }

  private static void createTopic(Admin admin, int partitions, short replicationFactor) throws Exception {
    try {
      admin.createTopics(List.of(new NewTopic(TOPIC, partitions, replicationFactor))).all().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }

  /** Partition to leader's node id, as Metadata names them now. */
  private static Map<Integer, Integer> leaders(Admin admin) throws Exception {
    return admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC).partitions()
        .stream().filter(p -> p.leader() != null)
        .collect(Collectors.toMap(TopicPartitionInfo::partition, p -> p.leader().id()));
  }

  private static void awaitLeader(Admin admin, int nodeId) throws Exception {
    long deadline = System.nanoTime() + REJOIN_TIMEOUT.toNanos();
    while (!Set.copyOf(leaders(admin).values()).contains(nodeId)) {
      if (System.nanoTime() > deadline) {
        fail("Metadata names node " + nodeId + " leader of no partition " + REJOIN_TIMEOUT.toSeconds()
            + " s after it started again");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }
  }

  /**
   * Runs {@code cluster start-node}, which returns once every node sees all members Up (or fails after its
   * RUNNEL_CLUSTER_TIMEOUT); the line it prints names the new pid.
   */
  private static ClusterNode startNode(Path script, Path clusterDir, int id) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(script.toString(), "start-node", "--node", String.valueOf(id), "--dir",
        clusterDir.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<String> lines;
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      lines = out.lines().toList();
    }
    if (process.waitFor() != 0) {
      fail("cluster start-node --node " + id + " failed (exit " + process.exitValue() + ")");
    }
    return lines.stream().filter(line -> line.startsWith("node ")).map(ClusterNode::parse).findFirst()
        .orElseThrow(() -> new IllegalStateException("cluster start-node printed no node line: " + lines));
  }

  private static String seconds(Duration duration) {
    return String.format("%.2f", duration.toNanos() / 1e9);
  }

  private static void usage() {
    System.err.println("usage: FailoverBench CLUSTER_SCRIPT CLUSTER_DIR NODES_FILE [--kills N] [--partitions P]");
    System.exit(2);
  }

  private static void fail(String message) {
    System.err.println("failover bench: " + message);
    System.exit(1);
  }
}
