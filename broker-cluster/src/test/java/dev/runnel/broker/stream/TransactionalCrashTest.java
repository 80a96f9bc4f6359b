package dev.runnel.broker.stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.group.CommittedOffset;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exactly once through crashes of the client JVM: {@link TransactionalProcessor} (the reactive client's
 * {@code Transactional.source} and {@code Transactional.flow}) in a JVM of its own is SIGKILLed at random points
 * three times, each once the output (read_uncommitted) grew by a random amount since it started, so kills land
 * inside open transactions and between them, and is started again; the last instance runs until the group has
 * committed the whole input. Then Kafka's read_committed consumer reads every input record's output exactly once,
 * in order per key.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TransactionalCrashTest {

  private static final int KEYS = 6;
  private static final int PER_KEY = 30;
  private static final int KILLS = 3;
  private static final int PARTITIONS = 2;
  private static final String INPUT = "txn-crash-in";
  private static final String OUTPUT = "txn-crash-out";
  private static final String GROUP = "txn-crash";

  private RunnelNode node;
  private ActorSystem client;
  private Process processor;

  @BeforeEach
  void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of(
        "runnel.broker.group.initial-rebalance-delay", "0 s",
        "runnel.broker.group.min-session-timeout", "1 s",
        "runnel.broker.group.tick-interval", "50 ms"));
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    node.broker().createTopic(INPUT, PARTITIONS, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    node.broker().createTopic(OUTPUT, PARTITIONS, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (processor != null) {
      processor.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    node.close();
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void when_theClientJvmIsKilledAtRandomPointsAndRestarted_then_readCommittedSeesEveryInputOnceInOrderPerKey()
      throws Exception {
    Map<String, List<String>> sent = produceInput();
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Path logs = Files.createTempDirectory(TestNodes.newDataDir(), "processor-");
    for (int kill = 1; kill <= KILLS; kill++) {
      processor = startProcessor(logs.resolve("processor-" + kill + ".log"));
      long from = outputEnd(IsolationLevel.READ_UNCOMMITTED);
      long growth = 5 + random.nextInt(20);
      await("output growth of " + growth + " before kill " + kill + " (seed " + seed + ", logs " + logs + ")")
          .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
          .until(() -> outputEnd(IsolationLevel.READ_UNCOMMITTED) >= from + growth);
      processor.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    processor = startProcessor(logs.resolve("processor-last.log"));
    Map<TopicPartition, Long> inputEnd = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      inputEnd.put(new TopicPartition(INPUT, p), end(INPUT, p, IsolationLevel.READ_UNCOMMITTED));
    }
    await("the group's commits reach the input's end (seed " + seed + ", logs " + logs + ")")
        .atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(100))
        .until(() -> committed().equals(inputEnd));
    await("no transaction open on the output").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> outputEnd(IsolationLevel.READ_COMMITTED) == outputEnd(IsolationLevel.READ_UNCOMMITTED));

    Map<String, List<String>> expected = new TreeMap<>();
    sent.forEach((key, values) -> expected.put(key, values.stream().map(String::toUpperCase).toList()));
    assertEquals(expected, TransactionalTest.readCommitted(node.kafkaPort(), OUTPUT, PARTITIONS),
        "each input record once, in order per key (seed " + seed + ", logs " + logs + ")");
  }

  /** {@link #KEYS} keys of {@link #PER_KEY} records each, interleaved; returns the values per key in order. */
  private Map<String, List<String>> produceInput() throws Exception {
    Map<String, List<String>> sent = new TreeMap<>();
    ProducerSettings settings = ProducerSettings.create(client).withBootstrap(bootstrap());
    try (Producer producer = Producer.create(settings, client)) {
      List<CompletionStage<?>> acks = new ArrayList<>();
      for (int i = 0; i < PER_KEY; i++) {
        for (int k = 0; k < KEYS; k++) {
          String key = "k" + k;
          String value = key + "-" + i;
          acks.add(producer.send(ProducerRecord.of(INPUT, key.getBytes(StandardCharsets.UTF_8),
              value.getBytes(StandardCharsets.UTF_8))));
          sent.computeIfAbsent(key, x -> new ArrayList<>()).add(value);
        }
      }
      for (CompletionStage<?> ack : acks) {
        get(ack);
      }
    }
    return sent;
  }

  private String bootstrap() {
    return "ws://127.0.0.1:" + node.httpPort();
  }

  private Process startProcessor(Path log) throws Exception {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        TransactionalProcessor.class.getName(), bootstrap(), INPUT, OUTPUT, GROUP, "100");
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private long end(String topic, int partition, IsolationLevel isolation) throws Exception {
    return get(node.broker().listOffsets(node.broker().partition(topic, partition), -1L, isolation)).offset();
  }

  private long outputEnd(IsolationLevel isolation) throws Exception {
    long sum = 0;
    for (int p = 0; p < PARTITIONS; p++) {
      sum += end(OUTPUT, p, isolation);
    }
    return sum;
  }

  private Map<TopicPartition, Long> committed() throws Exception {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    Map<TopicPartition, CommittedOffset> found = get(node.groups().fetchOffsets(GROUP, null)).offsets();
    found.forEach((partition, offset) -> offsets.put(partition, offset.offset()));
    return offsets;
  }
}
