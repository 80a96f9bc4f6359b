package dev.runnel.broker.stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.ClusterNodes;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.EventStore;
import dev.runnel.client.EventStoreSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The 50-writer EventStore check on a two-node cluster (postgres profile, {@code serialize-messages} on): half the
 * writers reach the cluster through each node, so the conditional appends and key reads of the partitions hosted
 * on the other node cross over Artery with their serializers.
 */
@Timeout(240)
class EventStoreTwoNodeTest {

  private String database;
  private RunnelNode first;
  private RunnelNode second;
  private ActorSystem client;

  @BeforeEach
  void start() throws Exception {
    database = ClusterNodes.createDatabase();
    Map<String, Object> shared = new HashMap<>(Map.of(
        "pekko.actor.serialize-messages", "on",
        "pekko.actor.serialize-creators", "off",
        "runnel.persistence.profile", "postgres",
        "runnel.persistence.postgres.url", ClusterNodes.databaseUrl(database)));
    first = TestNodes.start(TestNodes.newDataDir(), shared);
    Map<String, Object> joining = new HashMap<>(shared);
    joining.put("pekko.cluster.seed-nodes",
        List.of(Cluster.get(first.system()).selfMember().address().toString()));
    second = TestNodes.start(TestNodes.newDataDir(), joining);
    await().atMost(Duration.ofSeconds(60)).until(() -> upMembers(first) == 2 && upMembers(second) == 2);
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
    ClusterNodes.dropDatabase(database);
  }

  private static long upMembers(RunnelNode node) {
    return java.util.stream.StreamSupport.stream(
            Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .filter(member -> member.status() == MemberStatus.up())
        .count();
  }

  private EventStore store(RunnelNode node) {
    return EventStore.create(client, EventStoreSettings.create(client)
        .withBootstrap("ws://127.0.0.1:" + node.httpPort()).withTopic("ledger"));
  }

  @Test
  void when_50WritersAppendThroughTwoNodes_then_noVersionIsTakenTwiceAndFinalVersionsEqualTheSuccesses()
      throws Exception {
    LogProbe.await(first.broker().createTopic("ledger", 4, Map.of("retention.ms", "-1")));
    await().atMost(Duration.ofSeconds(30)).until(() -> second.broker().topic("ledger").isPresent());
    List<EventStore> stores = List.of(store(first), store(second));
    Map<String, AtomicInteger> successes = new ConcurrentHashMap<>();
    AtomicInteger conflicts = new AtomicInteger();
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int w = 0; w < 50; w++) {
      done.add(EventStoreTest.writer(stores.get(w % 2), "writer-" + w, 4, successes, conflicts));
    }
    CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(180, TimeUnit.SECONDS);

    int total = 0;
    for (int s = 0; s < 10; s++) {
      String stream = "account-" + s;
      int stored = successes.getOrDefault(stream, new AtomicInteger()).get();
      for (EventStore store : stores) {
        List<EventStore.StoredEvent> events = store.read(stream, 1).runWith(Sink.seq(), client)
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(stored, events.size(), stream + ": one event per successful append");
        for (int i = 0; i < events.size(); i++) {
          assertEquals(i + 1, events.get(i).version(), stream + ": each version once, in order");
        }
      }
      total += stored;
    }
    assertEquals(200, total, "every writer's appends were stored, after retries");
    assertTrue(conflicts.get() > 0, "50 writers on 10 streams collided at least once");
    stores.forEach(EventStore::close);
  }
}
