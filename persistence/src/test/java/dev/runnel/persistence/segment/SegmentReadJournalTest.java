package dev.runnel.persistence.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class SegmentReadJournalTest {

  @TempDir
  Path dir;

  private ActorSystem system;
  private SegmentReadJournal queries;

  /** Persists each string it gets and answers its sequence number. */
  static final class Writer extends AbstractPersistentActor {
    private final String persistenceId;

    Writer(String persistenceId) {
      this.persistenceId = persistenceId;
    }

    @Override
    public String persistenceId() {
      return persistenceId;
    }

    @Override
    public Receive createReceiveRecover() {
      return receiveBuilder().matchAny(ignored -> {}).build();
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder().match(String.class, event -> {
        ActorRef replyTo = sender();
        persist(event, persisted -> replyTo.tell(lastSequenceNr(), self()));
      }).build();
    }
  }

  @BeforeEach
  void start() {
    Config config = ConfigFactory.parseMap(Map.of(
            "runnel.segment-journal.dir", dir.resolve("segments").toString(),
            "runnel.segment-read-journal.refresh-interval", "20 ms",
            "pekko.persistence.journal.plugin", "runnel.segment-journal",
            "pekko.persistence.snapshot-store.plugin", "runnel.segment-snapshot-store",
            "runnel.segment-snapshot-store.dir", dir.resolve("snapshots").toString()))
        .withFallback(ConfigFactory.load());
    system = ActorSystem.create("queries", config);
    queries = PersistenceQuery.get(system).getReadJournalFor(SegmentReadJournal.class, SegmentReadJournal.IDENTIFIER);
  }

  @AfterEach
  void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private void write(ActorRef writer, String event) throws Exception {
    Patterns.ask(writer, event, Duration.ofSeconds(10)).toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  @Test
  void when_currentEventsAreQueried_then_theEventsThereAreReturnedInOrderAndTheStreamCompletes() throws Exception {
    ActorRef writer = system.actorOf(Props.create(Writer.class, "q-1"));
    for (int i = 1; i <= 30; i++) {
      write(writer, "e" + i);
    }
    List<EventEnvelope> envelopes = queries.currentEventsByPersistenceId("q-1", 5, 25)
        .runWith(Sink.seq(), system).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(21, envelopes.size());
    for (int i = 0; i < envelopes.size(); i++) {
      assertEquals(5 + i, envelopes.get(i).sequenceNr());
      assertEquals("e" + (5 + i), envelopes.get(i).event());
      assertEquals("q-1", envelopes.get(i).persistenceId());
      assertTrue(envelopes.get(i).timestamp() > 0);
    }
    assertEquals(List.of("q-1"), queries.currentPersistenceIds().runWith(Sink.seq(), system)
        .toCompletableFuture().get(10, TimeUnit.SECONDS));
  }

  @Test
  void when_liveEventsAreQueried_then_eventsWrittenLaterArriveToo() throws Exception {
    ActorRef writer = system.actorOf(Props.create(Writer.class, "q-2"));
    write(writer, "before");
    CompletionStage<List<EventEnvelope>> live = queries.eventsByPersistenceId("q-2", 1, 3)
        .runWith(Sink.seq(), system);
    write(writer, "after-1");
    write(writer, "after-2");
    List<EventEnvelope> envelopes = live.toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of("before", "after-1", "after-2"), envelopes.stream().map(EventEnvelope::event).toList());
    assertEquals(List.of(), queries.currentEventsByPersistenceId("nobody", 1, Long.MAX_VALUE)
        .runWith(Sink.seq(), system).toCompletableFuture().get(10, TimeUnit.SECONDS));
  }
}
