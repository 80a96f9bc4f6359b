package dev.runnel.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.persistence.JournalProfile;
import dev.runnel.persistence.segment.SegmentStore;
import dev.runnel.persistence.segment.SegmentStores;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.RecoveryCompleted;

/**
 * Measures the journal profiles below the broker, through Pekko Persistence itself: persistent actors appending
 * events of one size, one event per write each (so many actors measure group commit across persistence ids), for a
 * fixed time; then new actors replaying what those wrote. Segment journal (the embedded profile) vs H2 vs
 * PostgreSQL (when {@code RUNNEL_TEST_POSTGRES_URL} names a server, as {@code deploy/bin/test-services} prints).
 * Prints a table, and the machine's sequential-write ceiling ({@code dd ... conv=fdatasync}); asserts nothing.
 *
 * <p>{@code JournalBench [seconds per cell] [dd MiB] [segment fsync: always|interval|never] [profiles, e.g.
 * embedded,h2]}. Each profile first runs one uncounted second of appends, so connection pools and JIT are warm.
 */
public final class JournalBench {

  private static final int[] EVENT_BYTES = {1024, 16 * 1024};
  private static final int[] ACTORS = {1, 50};

  private JournalBench() {}

  private record Cell(String profile, int eventBytes, int actors, long events, double seconds, long replayed,
      double replaySeconds) {}

  public static void main(String[] args) throws Exception {
    RunnelNode.ensureCommonPoolThreads();
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int ddMiB = args.length > 1 ? Integer.parseInt(args[1]) : 512;
    String fsync = args.length > 2 ? args[2] : ConfigFactory.load().getString("runnel.segment-journal.fsync");
    String postgresUrl = System.getenv("RUNNEL_TEST_POSTGRES_URL");
    List<String> profiles = new ArrayList<>(List.of("embedded", "h2"));
    if (postgresUrl != null) {
      profiles.add("postgres");
    }
    if (args.length > 3) {
      profiles = List.of(args[3].split(","));
    }
    List<Cell> cells = new ArrayList<>();
    for (String profile : profiles) {
      Path dataDir = Files.createTempDirectory("runnel-journal-bench-");
      Map<String, Object> settings = new HashMap<>();
      settings.put("runnel.data-dir", dataDir.toString());
      settings.put("runnel.persistence.profile", profile);
      settings.put("runnel.segment-journal.fsync", fsync);
      settings.put("pekko.loglevel", "WARNING");
      if (postgresUrl != null) {
        settings.put("runnel.persistence.postgres.url", postgresUrl);
      }
      Config config = JournalProfile.apply(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load()));
      JournalProfile.createSchemaIfMissing(config);
      ActorSystem system = ActorSystem.create("journal-bench", config);
      try {
        run(system, profile, EVENT_BYTES[0], ACTORS[ACTORS.length - 1], 1);
        for (int eventBytes : EVENT_BYTES) {
          for (int actors : ACTORS) {
            cells.add(run(system, profile, eventBytes, actors, seconds));
          }
        }
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
    System.out.printf("%nJournal bench: %d s per cell, one event per write per actor; segment journal fsync = %s%n",
        seconds, fsync);
    System.out.printf("%-9s %7s %6s %12s %9s %14s%n", "profile", "event", "actors", "appends/s", "MB/s",
        "replay MB/s");
    for (Cell cell : cells) {
      System.out.printf("%-9s %6dB %6d %,12.0f %9.1f %14.1f%n", cell.profile(), cell.eventBytes(), cell.actors(),
          cell.events() / cell.seconds(), cell.events() * (double) cell.eventBytes() / cell.seconds() / 1e6,
          cell.replayed() * (double) cell.eventBytes() / cell.replaySeconds() / 1e6);
    }
    ddCeiling(ddMiB);
  }

  private static Cell run(ActorSystem system, String profile, int eventBytes, int actors, int seconds)
      throws Exception {
    byte[] payload = new byte[eventBytes];
    new Random(1).nextBytes(payload);
    String prefix = "bench-" + UUID.randomUUID() + "-" + eventBytes + "-" + actors + "-";
    SegmentStore store = profile.equals("embedded")
        ? SegmentStores.get(system).store(system.settings().config().getConfig("runnel.segment-journal")) : null;
    long batchesBefore = store == null ? 0 : store.batchesWritten();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<CompletableFuture<Object>> done = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < actors; i++) {
      ActorRef appender = system.actorOf(Props.create(Appender.class, prefix + i, payload, deadline));
      done.add(Patterns.ask(appender, "start", Duration.ofSeconds(seconds + 120)).toCompletableFuture());
    }
    long events = 0;
    for (CompletableFuture<Object> count : done) {
      events += (Long) count.get(seconds + 180L, TimeUnit.SECONDS);
    }
    double writeSeconds = (System.nanoTime() - start) / 1e9;
    String batches = store == null ? ""
        : String.format(" (%,d writer batches: %.1f events per batch)", store.batchesWritten() - batchesBefore,
            events / (double) Math.max(1, store.batchesWritten() - batchesBefore));

    List<CompletableFuture<Object>> replays = new ArrayList<>();
    start = System.nanoTime();
    for (int i = 0; i < actors; i++) {
      ActorRef replayer = system.actorOf(Props.create(Replayer.class, prefix + i));
      replays.add(Patterns.ask(replayer, "report", Duration.ofSeconds(300)).toCompletableFuture());
    }
    long replayed = 0;
    for (CompletableFuture<Object> count : replays) {
      replayed += (Long) count.get(310, TimeUnit.SECONDS);
    }
    double replaySeconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("%s %d B x %d actors: %,d events in %.1f s%s, replayed %,d in %.2f s%n", profile, eventBytes,
        actors, events, writeSeconds, batches, replayed, replaySeconds);
    return new Cell(profile, eventBytes, actors, events, writeSeconds, replayed, replaySeconds);
  }

  /** Persists its payload, one event per write, until the deadline; then answers how many it wrote. */
  static final class Appender extends AbstractPersistentActor {
    private final String persistenceId;
    private final byte[] payload;
    private final long deadline;
    private ActorRef replyTo;
    private long written;

    Appender(String persistenceId, byte[] payload, long deadline) {
      this.persistenceId = persistenceId;
      this.payload = payload;
      this.deadline = deadline;
    }

    @Override
    public String persistenceId() {
      return persistenceId;
    }

    @Override
    public AbstractActor.Receive createReceiveRecover() {
      return receiveBuilder().matchAny(ignored -> {}).build();
    }

    @Override
    public AbstractActor.Receive createReceive() {
      return receiveBuilder()
          .matchEquals("start", start -> {
            replyTo = sender();
            next();
          })
          .matchEquals("next", next -> next())
          .build();
    }

    private void next() {
      if (System.nanoTime() - deadline >= 0) {
        replyTo.tell(written, self());
        context().stop(self());
        return;
      }
      persist(payload, event -> {
        written++;
        self().tell("next", self());
      });
    }
  }

  /** Recovers a log and answers how many events it replayed. */
  static final class Replayer extends AbstractPersistentActor {
    private final String persistenceId;
    private long replayed;
    private boolean recovered;
    private ActorRef replyTo;

    Replayer(String persistenceId) {
      this.persistenceId = persistenceId;
    }

    @Override
    public String persistenceId() {
      return persistenceId;
    }

    @Override
    public AbstractActor.Receive createReceiveRecover() {
      return receiveBuilder()
          .match(byte[].class, event -> replayed++)
          .match(RecoveryCompleted.class, done -> {
            recovered = true;
            answer();
          })
          .build();
    }

    @Override
    public AbstractActor.Receive createReceive() {
      return receiveBuilder().matchEquals("report", report -> {
        replyTo = sender();
        answer();
      }).build();
    }

    private void answer() {
      if (recovered && replyTo != null) {
        replyTo.tell(replayed, self());
        context().stop(self());
      }
    }
  }

  /** The sequential-write ceiling of the disk under the temp directory, as {@code dd} reports it. */
  private static void ddCeiling(int mib) throws Exception {
    Path file = Files.createTempFile("runnel-dd-", ".bin");
    try {
      Process dd = new ProcessBuilder("dd", "if=/dev/zero", "of=" + file, "bs=1M", "count=" + mib, "conv=fdatasync")
          .redirectErrorStream(true).start();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(dd.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.contains("copied")) {
            System.out.println("sequential-write ceiling (dd bs=1M count=" + mib + " conv=fdatasync): " + line);
          }
        }
      }
      dd.waitFor();
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
