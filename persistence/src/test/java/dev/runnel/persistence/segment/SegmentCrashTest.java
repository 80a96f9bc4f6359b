package dev.runnel.persistence.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM ({@link CrashChild}) appending through the segment journal with SIGKILL at random points, many
 * times, under each fsync policy in turn. After every kill: each event whose write was acknowledged is there,
 * sequence numbers have no holes, and the next child recovers at least as far and appends again. Between some
 * rounds the tail of a log is torn (part of a frame appended), which the next child must repair.
 */
class SegmentCrashTest {

  private static final int ROUNDS = Integer.getInteger("runnel.crash-test.rounds", 12);
  private static final int ACTORS = 4;
  private static final FsyncPolicy[] POLICIES = {FsyncPolicy.NEVER, FsyncPolicy.INTERVAL, FsyncPolicy.ALWAYS};

  @TempDir
  Path dir;

  @Test
  @Timeout(300)
  void when_theProcessIsKilledMidAppendRepeatedly_then_everyAcknowledgedEventSurvivesWithoutHoles()
      throws Exception {
    Random random = new Random();
    Map<String, Long> acked = new ConcurrentHashMap<>();
    AtomicInteger tornTails = new AtomicInteger();
    int torn = 0;
    for (int round = 1; round <= ROUNDS; round++) {
      FsyncPolicy policy = POLICIES[round % POLICIES.length];
      Map<String, Long> ackedBefore = Map.copyOf(acked);
      Map<String, Long> recovered = new ConcurrentHashMap<>();
      AtomicInteger acksThisRound = new AtomicInteger();
      int killAfter = 20 + random.nextInt(1500);
      CountDownLatch enough = new CountDownLatch(1);
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
          CrashChild.class.getName(), dir.toString(), policy.configName(), String.valueOf(ACTORS))
          .redirectError(dir.resolveSibling(dir.getFileName() + "-child-" + round + ".err").toFile())
          .start();
      Thread reader = new Thread(() -> {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.UTF_8))) {
          String line;
          while ((line = lines.readLine()) != null) {
            String[] words = line.split(" ");
            if (words.length == 3 && words[0].equals("ack")) {
              acked.merge(words[1], Long.parseLong(words[2]), Math::max);
              // Each actor recovers on its own: the kill waits for all of them, so every log's recovery is checked
              // (CI once killed a child before its slowest actor had recovered, and had nothing to compare).
              if (recovered.size() == ACTORS && acksThisRound.incrementAndGet() >= killAfter) {
                enough.countDown();
              }
            } else if (words.length == 3 && words[0].equals("recovered")) {
              recovered.put(words[1], Long.parseLong(words[2]));
            } else if (line.contains("Torn tail")) {
              tornTails.incrementAndGet();
            }
          }
        } catch (IOException e) {
          // The stream ends with the killed process.
        }
      });
      reader.start();
      boolean reached = enough.await(60, TimeUnit.SECONDS);
      child.destroyForcibly();
      assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed child exits");
      reader.join(TimeUnit.SECONDS.toMillis(10));
      assertTrue(reached, "round " + round + ": the child acknowledged " + acksThisRound.get() + " of " + killAfter
          + " events within 60 s");
      for (Map.Entry<String, Long> before : ackedBefore.entrySet()) {
        long recoveredTo = recovered.getOrDefault(before.getKey(), -1L);
        assertTrue(recoveredTo >= before.getValue(), "round " + round + ": " + before.getKey() + " recovered to "
            + recoveredTo + " but " + before.getValue() + " was acknowledged before the last kill");
      }
      verify(acked, round);
      if (round % 2 == 0 && round < ROUNDS) {
        tearTail("appender-" + random.nextInt(ACTORS), random);
        torn++;
      }
    }
    System.out.printf("SegmentCrashTest: %d kills, events acknowledged per log %s, torn tails repaired %d%n",
        ROUNDS, acked, tornTails.get());
    assertTrue(tornTails.get() >= torn, torn + " torn tails were made, " + tornTails.get() + " repaired");
  }

  /**
   * Leaves what a crash in the middle of a write leaves on a disk: the start of a frame after the last whole one
   * (a SIGKILL alone cannot, since the kernel finishes a write(2) it started).
   */
  private void tearTail(String pid, Random random) throws IOException {
    Path logDir = dir.resolve(SegmentStore.directoryName(pid));
    Path newest;
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(logDir)) {
      newest = files.filter(f -> Segment.baseOf(f) >= 0).max(java.util.Comparator.naturalOrder()).orElseThrow();
    }
    Entry entry = new Entry(Long.MAX_VALUE / 2, true, 0, 1, "", "", "torn",
        java.nio.ByteBuffer.wrap(new byte[500]));
    java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(entry.frameBytes());
    entry.writeTo(frame);
    byte[] part = java.util.Arrays.copyOf(frame.array(), 1 + random.nextInt(frame.capacity() - 1));
    java.nio.file.Files.write(newest, part, java.nio.file.StandardOpenOption.APPEND);
  }

  /** Opens the killed child's logs in this JVM: every acknowledged event is there, with no holes. */
  private void verify(Map<String, Long> acked, int round) throws Exception {
    SegmentJournalSettings settings = new SegmentJournalSettings(dir, 64 * 1024, 4096, FsyncPolicy.NEVER,
        Duration.ofSeconds(1), 1 << 20, 16, 1 << 20, 1, 2048);
    try (SegmentStore store = SegmentStore.open(settings)) {
      for (Map.Entry<String, Long> entry : acked.entrySet()) {
        String pid = entry.getKey();
        long highest = store.highestSequenceNr(pid);
        assertTrue(highest >= entry.getValue(), "round " + round + ": " + pid + " holds up to " + highest
            + " but " + entry.getValue() + " was acknowledged");
        List<Long> sequenceNrs = new ArrayList<>();
        long next = 1;
        while (next <= highest) {
          List<Entry> entries = store.read(pid, next, highest, 1 << 20, Long.MAX_VALUE);
          entries.forEach(e -> sequenceNrs.add(e.sequenceNr()));
          next = entries.get(entries.size() - 1).sequenceNr() + 1;
        }
        for (int i = 0; i < sequenceNrs.size(); i++) {
          assertEquals(i + 1, sequenceNrs.get(i), "round " + round + ": " + pid + " has a hole");
        }
        assertEquals(highest, sequenceNrs.size());
      }
    }
  }
}
