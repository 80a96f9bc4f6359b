package dev.runnel.persistence.segment;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.RecoveryCompleted;

/**
 * The child JVM of {@link SegmentCrashTest}: persistent actors on the segment journal that append in a loop, each
 * an atomic write of one to three events, until the process is killed. Prints {@code recovered <pid> <seq>} after
 * recovery and {@code ack <pid> <seq>} for every event once its write completed, flushed at once.
 *
 * <p>{@code CrashChild <journal dir> <fsync policy> <actors>}
 */
public final class CrashChild {

  private static final PrintStream OUT = System.out;

  private CrashChild() {}

  public static void main(String[] args) {
    Config config = ConfigFactory.parseMap(Map.of(
            "runnel.data-dir", args[0],
            "runnel.segment-journal.dir", args[0],
            "runnel.segment-journal.fsync", args[1],
            "runnel.segment-journal.segment-bytes", "64 KiB",
            "pekko.persistence.journal.plugin", "runnel.segment-journal",
            "pekko.persistence.snapshot-store.plugin", "runnel.segment-snapshot-store",
            "pekko.loglevel", "WARNING"))
        .withFallback(ConfigFactory.load());
    ActorSystem system = ActorSystem.create("crash-child", config);
    int actors = Integer.parseInt(args[2]);
    for (int i = 0; i < actors; i++) {
      system.actorOf(Props.create(Appender.class, "appender-" + i));
    }
  }

  static synchronized void print(String line) {
    OUT.println(line);
    OUT.flush();
  }

  /** Appends forever: one atomic write at a time, the next once the last one is acknowledged. */
  static final class Appender extends AbstractPersistentActor {
    private final String persistenceId;
    private long last;

    Appender(String persistenceId) {
      this.persistenceId = persistenceId;
    }

    @Override
    public String persistenceId() {
      return persistenceId;
    }

    @Override
    public AbstractActor.Receive createReceiveRecover() {
      return receiveBuilder()
          .match(String.class, event -> last = lastSequenceNr())
          .match(RecoveryCompleted.class, done -> {
            print("recovered " + persistenceId + " " + lastSequenceNr());
            self().tell("next", self());
          })
          .build();
    }

    @Override
    public AbstractActor.Receive createReceive() {
      return receiveBuilder()
          .matchEquals("next", next -> {
            int count = ThreadLocalRandom.current().nextInt(1, 4);
            List<String> events = new ArrayList<>();
            for (int i = 0; i < count; i++) {
              events.add("event-" + ThreadLocalRandom.current().nextInt(1000) + "x".repeat(
                  ThreadLocalRandom.current().nextInt(2000)));
            }
            persistAll(events, event -> {
              print("ack " + persistenceId + " " + lastSequenceNr());
              if (--remaining[0] == 0) {
                self().tell("next", self());
              }
            });
            remaining[0] = count;
          })
          .build();
    }

    private final int[] remaining = {0};
  }
}
