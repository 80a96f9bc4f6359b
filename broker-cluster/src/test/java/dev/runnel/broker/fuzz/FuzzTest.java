package dev.runnel.broker.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fuzz suite against one real node: each door (HTTP, Kafka port, native protocol over WebSocket) gets seeded
 * random and mutated input in rounds; after every round {@link NodeChecks} must find the node whole and no crash
 * may have been logged, and over the run no answer may be a 5xx and no request may hang. Bounded in cases and wall
 * time per door by system properties, small for CI and large for {@code deploy/bench/fuzz/run}:
 * {@code runnel.fuzz.seed} (default: random, printed), {@code runnel.fuzz.cases} (per door, default 1000),
 * {@code runnel.fuzz.seconds} (per door, default 30), {@code runnel.fuzz.round} (cases between checks, 250),
 * {@code runnel.fuzz.malformed-batches} (default true).
 * A failure names the seed and case number; the same seed sends the same cases.
 */
@Timeout(value = 4, unit = TimeUnit.HOURS)
class FuzzTest {

  private static final long SEED = Long.getLong("runnel.fuzz.seed", new Random().nextLong());
  private static final int CASES = Integer.getInteger("runnel.fuzz.cases", 1000);
  private static final int SECONDS = Integer.getInteger("runnel.fuzz.seconds", 30);
  private static final int ROUND = Integer.getInteger("runnel.fuzz.round", 250);
  /**
   * Whether Produce cases of the Kafka port and the native protocol carry malformed batches
   * ({@code runnel.fuzz.malformed-batches}), which only a node that validates batches refuses.
   */
  private static final boolean MALFORMED_BATCHES =
      Boolean.parseBoolean(System.getProperty("runnel.fuzz.malformed-batches", "true"));
  /** The topics the fuzzer may name, create, alter and delete. */
  static final List<String> TOPICS = List.of("fz-0", "fz-1", "fz-2", "fz-3");

  private static RunnelNode node;
  private static NodeChecks checks;
  private static CrashWatch crashes;
  private static long rssBefore;
  private static long heapBefore;
  private static final List<FuzzStats> ALL = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    System.out.println("FUZZ seed " + SEED + " (rerun with -Drunnel.fuzz.seed=" + SEED + "), " + CASES
        + " cases and at most " + SECONDS + " s per door, checks every " + ROUND + " cases");
    crashes = CrashWatch.install();
    node = TestNodes.start(TestNodes.newDataDir());
    checks = new NodeChecks(node);
    assertEquals(List.of(), checks.check(), "the node is whole before fuzzing");
    rssBefore = rssKib();
    heapBefore = heapAfterGcMib();
  }

  @AfterAll
  static void stop() throws Exception {
    long rssAfter = rssKib();
    long heapAfter = heapAfterGcMib();
    ALL.forEach(stats -> System.out.println("FUZZ " + stats));
    System.out.println("FUZZ total cases " + ALL.stream().mapToLong(s -> s.cases.get()).sum() + ", crashes "
        + crashes.crashes().size() + ", hangs " + ALL.stream().mapToLong(s -> s.hangs.get()).sum() + ", 5xx "
        + ALL.stream().mapToLong(s -> s.serverErrors.get()).sum() + ", RSS before " + rssBefore / 1024
        + " MiB, after " + rssAfter / 1024 + " MiB (the test JVM: node and fuzzer); heap used after a GC "
        + heapBefore + " MiB before, " + heapAfter + " MiB after");
    if (checks != null) {
      checks.close();
    }
    if (node != null) {
      node.close();
    }
    crashes.close();
  }

  @Test
  void when_httpIsFuzzed_then_noServerErrorNoHangAndTheNodeStaysWhole() {
    HttpDoor door = new HttpDoor(node.httpPort(), TOPICS);
    fuzz("http", 0x4854_5450L, (random, first, count, deadline, stats) ->
        door.run(SEED, random, first, count, deadline, stats));
  }

  @Test
  void when_kafkaPortIsFuzzed_then_noHangAndTheNodeStaysWhole() {
    try (KafkaDoor door = new KafkaDoor(node.kafkaPort(), TOPICS, MALFORMED_BATCHES)) {
      fuzz("kafka", 0x4b41_464bL, (random, first, count, deadline, stats) ->
          door.run(SEED, random, first, count, deadline, stats));
    }
  }

  @Test
  void when_nativeProtocolIsFuzzed_then_noHangAndTheNodeStaysWhole() throws Exception {
    try (StreamDoor door = new StreamDoor(node.httpPort(), TOPICS, MALFORMED_BATCHES)) {
      fuzz("stream", 0x5354_524dL, (random, first, count, deadline, stats) ->
          door.run(SEED, random, first, count, deadline, stats));
    }
  }

  /** One round of a door: {@code count} cases from case number {@code first}, stopping at {@code deadline}. */
  interface Round {
    void run(Random random, long first, int count, long deadlineNanos, FuzzStats stats) throws Exception;
  }

  private static void fuzz(String name, long salt, Round round) {
    FuzzStats stats = new FuzzStats(name);
    ALL.add(stats);
    Random random = new Random(SEED ^ salt);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
    assertTimeoutPreemptively(Duration.ofSeconds(SECONDS + 300), () -> {
      for (long done = 0; done < CASES && System.nanoTime() < deadline; done = stats.cases.get()) {
        round.run(random, done, (int) Math.min(ROUND, CASES - done), deadline, stats);
        List<String> problems = checks.check();
        assertEquals(List.of(), problems, "after " + name + " cases up to " + stats.cases.get() + " of seed " + SEED);
        assertEquals(List.of(), crashes.crashes(), "crashes logged by " + name + " cases up to "
            + stats.cases.get() + " of seed " + SEED);
      }
      System.out.println("FUZZ " + stats);
      assertEquals(List.of(), stats.failures(), "failures of seed " + SEED);
    });
  }

  /** Heap in use after a full collection, in MiB: what the run retained, apart from what the heap grew to. */
  private static long heapAfterGcMib() {
    System.gc();
    Runtime runtime = Runtime.getRuntime();
    return (runtime.totalMemory() - runtime.freeMemory()) >> 20;
  }

  /** This JVM's resident set size in KiB, from /proc/self/status (0 where there is none). */
  private static long rssKib() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return 0;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }
}
