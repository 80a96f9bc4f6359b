package dev.runnel.broker.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.KeyReadResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.EventStore;
import dev.runnel.client.EventStoreSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.common.utils.Utils;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The EventStore facade against a real node over the native protocol: optimistic concurrency, reads, subscribe. */
@Timeout(180)
class EventStoreTest {

  private Path dataDir;
  private RunnelNode node;
  private ActorSystem client;

  @BeforeEach
  void start() {
    dataDir = TestNodes.newDataDir();
    node = TestNodes.start(dataDir);
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  @AfterEach
  void stop() throws Exception {
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (node != null) {
      node.close();
    }
  }

  private EventStore store(String topic) throws Exception {
    LogProbe.await(node.broker().createTopic(topic, 3, Map.of("retention.ms", "-1")));
    return EventStore.create(client, EventStoreSettings.create(client)
        .withBootstrap("ws://127.0.0.1:" + node.httpPort()).withTopic(topic));
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private List<EventStore.StoredEvent> read(EventStore store, String stream, long from) throws Exception {
    return await(store.read(stream, from).runWith(Sink.seq(), client));
  }

  @Test
  void when_50WritersAppendTo10StreamsWithExpectedVersions_then_noVersionIsTakenTwiceAndLosersRetry()
      throws Exception {
    EventStore store = store("contended");
    int writers = 50;
    int appendsPerWriter = 6;
    Map<String, AtomicInteger> successes = new ConcurrentHashMap<>();
    AtomicInteger conflicts = new AtomicInteger();
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      done.add(writer(store, "writer-" + w, appendsPerWriter, successes, conflicts));
    }
    CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(150, TimeUnit.SECONDS);

    int total = 0;
    for (int s = 0; s < 10; s++) {
      String stream = "account-" + s;
      List<EventStore.StoredEvent> events = read(store, stream, 1);
      int stored = successes.getOrDefault(stream, new AtomicInteger()).get();
      assertEquals(stored, events.size(), stream + ": one event per successful append");
      for (int i = 0; i < events.size(); i++) {
        assertEquals(i + 1, events.get(i).version(), stream + ": versions 1.." + stored + " once each, in order");
        assertEquals(stream, events.get(i).streamId());
      }
      total += stored;
    }
    assertEquals(writers * appendsPerWriter, total, "every writer's appends were stored, after retries");
    assertTrue(conflicts.get() > 0, "50 writers on 10 streams collided at least once");
  }

  /** Appends {@code appends} events to random streams, each expecting the version it last saw; retries on conflict. */
  static CompletableFuture<Void> writer(EventStore store, String name, int appends,
      Map<String, AtomicInteger> successes, AtomicInteger conflicts) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Map<String, Long> seen = new HashMap<>();
    attempt(store, name, appends, seen, successes, conflicts, done);
    return done;
  }

  private static void attempt(EventStore store, String name, int left, Map<String, Long> seen,
      Map<String, AtomicInteger> successes, AtomicInteger conflicts, CompletableFuture<Void> done) {
    if (left == 0) {
      done.complete(null);
      return;
    }
    String stream = "account-" + ThreadLocalRandom.current().nextInt(10);
    long expected = seen.getOrDefault(stream, 0L);
    store.append(stream, expected, List.of(EventStore.Event.of("Deposited", name)))
        .whenComplete((result, failure) -> {
          if (failure != null) {
            done.completeExceptionally(failure);
          } else if (result instanceof EventStore.Appended appended) {
            seen.put(stream, appended.version());
            successes.computeIfAbsent(stream, s -> new AtomicInteger()).incrementAndGet();
            attempt(store, name, left - 1, seen, successes, conflicts, done);
          } else {
            EventStore.Conflict conflict = (EventStore.Conflict) result;
            conflicts.incrementAndGet();
            seen.put(stream, conflict.currentVersion());
            attempt(store, name, left, seen, successes, conflicts, done);
          }
        });
  }

  @Test
  void when_theBrokerRestarts_then_readReturnsExactlyTheStreamsEventsReadingOnlyItsOwnAppends() throws Exception {
    List<String> streams = List.of("user-1", "user-2", "user-3", "order-1", "order-2");
    try (EventStore store = store("users")) {
      for (int round = 0; round < 4; round++) {
        for (String stream : streams) {
          EventStore.AppendResult result = await(store.append(stream, round * 2L, List.of(
              EventStore.Event.of("Changed", stream + " a" + round), EventStore.Event.of("Changed", stream + " b" + round))));
          assertInstanceOf(EventStore.Appended.class, result, result.toString());
        }
      }
    }
    node.close();
    node = TestNodes.start(dataDir);

    try (EventStore store = EventStore.create(client, EventStoreSettings.create(client)
        .withBootstrap("ws://127.0.0.1:" + node.httpPort()).withTopic("users"))) {
      List<EventStore.StoredEvent> events = read(store, "user-2", 1);
      assertEquals(List.of("user-2 a0", "user-2 b0", "user-2 a1", "user-2 b1", "user-2 a2", "user-2 b2",
          "user-2 a3", "user-2 b3"), events.stream().map(EventStore.StoredEvent::payloadText).toList());
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L),
          events.stream().map(EventStore.StoredEvent::version).toList());
      assertEquals(List.of(6L, 7L, 8L), read(store, "user-2", 6).stream().map(EventStore.StoredEvent::version)
          .toList(), "from a version on");

      PartitionId partition = Broker.partition(LogProbe.await(node.broker().lookupTopic("users")).orElseThrow(),
          Utils.toPositive(Utils.murmur2(bytes("user-2"))) % 3);
      KeyReadResult read = LogProbe.await(node.broker().readKey(partition, bytes("user-2"), 0));
      assertEquals(4, read.eventsRead(), "the partition read the stream's 4 appends and none of the others'");

      EventStore.AppendResult stale = await(store.append("user-2", 7, List.of(EventStore.Event.of("Late", "x"))));
      assertEquals(8, assertInstanceOf(EventStore.Conflict.class, stale).currentVersion());
    }
  }

  @Test
  void when_subscribedFromAPosition_then_everyStreamsEventsFromThereArriveInPartitionOrder() throws Exception {
    try (EventStore store = store("feed")) {
      Map<String, Long> versions = new HashMap<>();
      for (int i = 0; i < 30; i++) {
        String stream = "s-" + (i % 5);
        long expected = versions.getOrDefault(stream, 0L);
        EventStore.Appended appended = (EventStore.Appended) await(
            store.append(stream, expected, List.of(EventStore.Event.of("E", stream + "#" + (expected + 1)))));
        versions.put(stream, appended.version());
      }
      List<EventStore.StoredEvent> all = await(store.subscribe(Map.of()).take(30).runWith(Sink.seq(), client));
      Map<String, List<Long>> byStream = all.stream().collect(Collectors.groupingBy(
          EventStore.StoredEvent::streamId, Collectors.mapping(EventStore.StoredEvent::version, Collectors.toList())));
      for (int s = 0; s < 5; s++) {
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), byStream.get("s-" + s), "s-" + s + " in version order");
      }
      EventStore.StoredEvent third = all.stream().filter(e -> e.streamId().equals("s-0") && e.version() == 3)
          .findFirst().orElseThrow();
      List<EventStore.StoredEvent> later = await(store.subscribe(Map.of(third.partition(), third.offset()))
          .filter(e -> e.streamId().equals("s-0")).take(4).runWith(Sink.seq(), client));
      assertEquals(List.of(3L, 4L, 5L, 6L), later.stream().map(EventStore.StoredEvent::version).toList());
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
