package dev.runnel.broker.schema;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.ClusterNodes;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes of one cluster on a PostgreSQL database of their own, with {@code serialize-messages} on so every
 * message to the writer singleton crosses as it would between machines: a schema registered through one node is
 * served by the other, and registrations sent to both nodes at once get ids that are unique cluster-wide.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TwoNodeSchemaRegistryTest {

  private String database;
  private RunnelNode first;
  private RunnelNode second;

  @BeforeEach
  void start() throws Exception {
    database = ClusterNodes.createDatabase();
    Map<String, Object> shared = new HashMap<>();
    shared.put("pekko.actor.serialize-messages", "on");
    shared.put("pekko.actor.serialize-creators", "off");
    shared.put("runnel.persistence.profile", "postgres");
    shared.put("runnel.persistence.postgres.url", ClusterNodes.databaseUrl(database));
    first = TestNodes.start(TestNodes.newDataDir(), shared);
    Map<String, Object> joining = new HashMap<>(shared);
    joining.put("pekko.cluster.seed-nodes", List.of(Cluster.get(first.system()).selfMember().address().toString()));
    second = TestNodes.start(TestNodes.newDataDir(), joining);
    await().atMost(Duration.ofSeconds(60)).until(() -> upMembers(first) == 2 && upMembers(second) == 2);
  }

  @AfterEach
  void stop() throws Exception {
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
    ClusterNodes.dropDatabase(database);
  }

  @Test
  void when_bothNodesRegister_then_eachServesAllWithIdsUniqueClusterWide() throws Exception {
    RegistryTestClient one = registry(first);
    // The writer singleton runs on the oldest node, the first: the second's writes cross to it.
    RegistryTestClient two = registry(second);
    RegistryTestClient.Answer registered = two.register("users-value", null, SchemaRegistryApiTest.USER_V1);
    assertEquals(200, registered.status(), registered.text());
    int id = registered.json().path("id").asInt();
    await().atMost(Duration.ofSeconds(30)).until(() -> one.get("/schemas/ids/" + id).status() == 200);
    assertEquals(two.get("/subjects/users-value/versions/1").text(), one.get("/subjects/users-value/versions/1").text());

    int each = 10;
    List<CompletableFuture<RegistryTestClient.Answer>> answers = new ArrayList<>();
    for (int i = 0; i < each; i++) {
      String schema = "{\"type\":\"record\",\"name\":\"R" + i + "\",\"fields\":[]}";
      String other = "{\"type\":\"record\",\"name\":\"S" + i + "\",\"fields\":[]}";
      String subject = "concurrent-" + i;
      answers.add(CompletableFuture.supplyAsync(() -> one.register(subject + "-a", null, schema)));
      answers.add(CompletableFuture.supplyAsync(() -> two.register(subject + "-b", null, other)));
    }
    Set<Integer> ids = new HashSet<>();
    ids.add(id);
    for (CompletableFuture<RegistryTestClient.Answer> answer : answers) {
      RegistryTestClient.Answer done = answer.get(60, TimeUnit.SECONDS);
      assertEquals(200, done.status(), done.text());
      ids.add(done.json().path("id").asInt());
    }
    assertEquals(2 * each + 1, ids.size(), "every distinct schema has its own id: " + ids);
    for (RegistryTestClient node : List.of(one, two)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> node.get("/subjects").json().size() == 2 * each + 1);
      for (int schemaId : ids) {
        assertEquals(200, node.get("/schemas/ids/" + schemaId).status(), "schema " + schemaId);
      }
    }
  }

  private static RegistryTestClient registry(RunnelNode node) {
    return new RegistryTestClient(node.schemaRegistryAddress().orElseThrow().getPort());
  }

  private static long upMembers(RunnelNode node) {
    return StreamSupport.stream(Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .filter(member -> member.status() == MemberStatus.up())
        .count();
  }
}
