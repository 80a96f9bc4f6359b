package dev.runnel.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.runnel.persistence.segment.SegmentPartitionReads;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PartitionReads} of each local profile over the same events: the embedded profile's positional reads of
 * the segment journal and the h2 profile's read-journal reads keep one contract (order, deletion, byte budget, payloads).
 */
@Timeout(60)
class PartitionReadsTest {

  @ParameterizedTest
  @ValueSource(strings = {"embedded", "h2"})
  void when_eventsAreReadDirectly_then_theyComeInOrderWithoutTheDeletedOnesAndWithinTheByteBudget(String profile)
      throws Exception {
    Config config = profile.equals("embedded") ? TckConfig.segment("reads") : TckConfig.h2("reads");
    JournalProfile.createSchemaIfMissing(config);
    ActorSystem system = ActorSystem.create("reads", config);
    try {
      ActorRef writer = system.actorOf(Props.create(TestWriter.class, "reads-1"));
      for (int i = 1; i <= 20; i++) {
        assertEquals((long) i, ask(writer, "event-" + i + "-" + "x".repeat(100)));
      }
      assertEquals("deleted", ask(writer, 5L));
      PartitionReads reads = PartitionReads.create(Adapter.toTyped(system));
      assertEquals(profile.equals("embedded"), reads instanceof SegmentPartitionReads);

      List<StoredEvent> all = reads.read("reads-1", 1, 20, Integer.MAX_VALUE).toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertEquals(15, all.size(), "events 1 to 5 are deleted");
      for (int i = 0; i < all.size(); i++) {
        StoredEvent event = all.get(i);
        assertEquals(6 + i, event.sequenceNr());
        assertEquals("event-" + (6 + i) + "-" + "x".repeat(100), event.event(SerializationExtension.get(system)));
      }
      int eventBytes = all.get(0).payload().remaining();
      List<StoredEvent> budgeted = reads.read("reads-1", 8, 20, 3 * eventBytes).toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertTrue(budgeted.size() >= 2 && budgeted.size() <= 3, "about 3 events' bytes, not " + budgeted.size());
      assertEquals(8, budgeted.get(0).sequenceNr());
      assertEquals(1, reads.read("reads-1", 10, 20, 1).toCompletableFuture().get(10, TimeUnit.SECONDS).size(),
          "the first event is read however small the budget");

      List<Object> events = reads.readEvents("reads-1", 18, 100).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(List.of("event-18-" + "x".repeat(100), "event-19-" + "x".repeat(100),
          "event-20-" + "x".repeat(100)), events);
      assertEquals(List.of(), reads.read("nobody", 1, 10, 100).toCompletableFuture().get(10, TimeUnit.SECONDS));
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
  }

  static Object ask(ActorRef actor, Object message) throws Exception {
    return Patterns.ask(actor, message, Duration.ofSeconds(10)).toCompletableFuture().get(15, TimeUnit.SECONDS);
  }
}
