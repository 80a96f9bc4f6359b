package dev.runnel.samples.cqrs;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.EventStore;
import dev.runnel.client.EventStoreSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sample against a real broker node in this JVM, driven over real HTTP: commands (also racing on one stream),
 * both views, the refusals, and a rebuild from offset 0 that ends with the same views.
 */
@Timeout(90)
class CqrsSampleTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration VIEWS = Duration.ofSeconds(30);

  private static RunnelNode node;
  private static CqrsApp app;
  private static EventStore store;
  private static final HttpClient http = HttpClient.newHttpClient();

  private record Answer(int status, JsonNode body) {}

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of(
        // A projection restarted by the rebuild rejoins its group at once, not after the 3 s first-member delay.
        "runnel.broker.group.initial-rebalance-delay", "0 s",
        "runnel.broker.group.min-session-timeout", "1 s"));
    Config config = ConfigFactory.parseMap(Map.of(
            "runnel.client.bootstrap", "ws://127.0.0.1:" + node.httpPort(),
            "runnel.client.consumer.group.session-timeout", "2 s",
            "runnel.client.consumer.group.heartbeat-interval", "500 ms",
            "runnel.samples.cqrs.http.port", 0,
            "runnel.samples.cqrs.database.url", "jdbc:h2:mem:cqrs-sample-test;DB_CLOSE_DELAY=-1",
            "runnel.samples.cqrs.projections.save-offset-after", "100 ms"))
        .withFallback(ConfigFactory.load());
    app = CqrsApp.start(config);
    store = EventStore.create(node.system(), EventStoreSettings.create(config).withTopic("cqrs-events"));
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
    if (app != null) {
      app.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private static Answer send(String method, String path, String body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.address().getPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), JSON.readTree(response.body()));
  }

  private static JsonNode expect(int status, Answer answer) {
    assertEquals(status, answer.status(), () -> "answer " + answer.body());
    return answer.body();
  }

  private static JsonNode awaitCaughtUp() {
    JsonNode[] status = new JsonNode[1];
    await().atMost(VIEWS).pollInterval(Duration.ofMillis(50)).until(() -> {
      status[0] = expect(200, send("GET", "/admin/status", null));
      return status[0].get("caught_up").asBoolean();
    });
    return status[0];
  }

  @Test
  void when_commandsRaceOnOneOrder_then_noVersionRepeats_theViewsFollow_andARebuildReproducesThem()
      throws Exception {
    expect(201, send("POST", "/users", "{\"user_id\":\"ada\",\"name\":\"Ada\",\"email\":\"ada@example.org\"}"));
    expect(200, send("PUT", "/users/ada/email", "{\"email\":\"lovelace@example.org\"}"));
    expect(201, send("POST", "/orders", "{\"order_id\":\"race\",\"user_id\":\"ada\"}"));
    expect(201, send("POST", "/orders", "{\"order_id\":\"calm\",\"user_id\":\"ada\"}"));
    expect(200, send("POST", "/orders/calm/items", "{\"sku\":\"pen\",\"quantity\":3,\"unit_price_cents\":250}"));
    expect(200, send("POST", "/orders/calm/ship", null));

    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<Answer>> answers = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      String body = "{\"sku\":\"sku-" + i + "\",\"quantity\":1,\"unit_price_cents\":" + (100 + i) + "}";
      answers.add(pool.submit((Callable<Answer>) () -> send("POST", "/orders/race/items", body)));
    }
    List<String> added = new ArrayList<>();
    List<Long> versions = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      Answer answer = answers.get(i).get(30, TimeUnit.SECONDS);
      if (answer.status() == 200) {
        added.add("sku-" + i);
        versions.add(answer.body().get("version").asLong());
        int attempts = answer.body().get("attempts").asInt();
        assertTrue(attempts >= 1 && attempts <= 5, "attempts within commands.max-attempts: " + answer.body());
      } else {
        assertEquals(409, answer.status(), () -> "a racing command is stored or refused: " + answer.body());
        assertEquals("CONCURRENCY_CONFLICT", answer.body().get("error").asText());
      }
    }
    pool.shutdown();
    assertTrue(!added.isEmpty(), "at least one racing command wins");
    assertEquals(LongStream.rangeClosed(2, 1 + added.size()).boxed().toList(), versions.stream().sorted().toList(),
        "each winner answered a version of its own");

    List<EventStore.StoredEvent> stream = store.read("order-race", 1).runWith(Sink.seq(), node.system())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(1 + added.size(), stream.size(), "OrderPlaced and one ItemAdded per command answered 200");
    for (int i = 0; i < stream.size(); i++) {
      assertEquals(i + 1, stream.get(i).version(), "versions are 1, 2, ... without repeats or gaps");
    }
    List<String> stored = stream.subList(1, stream.size()).stream()
        .map(event -> readTree(event.payloadText()).get("sku").asText()).sorted().toList();
    assertEquals(added.stream().sorted().toList(), stored, "exactly the accepted items were stored");

    awaitCaughtUp();
    JsonNode user = expect(200, send("GET", "/users/ada", null));
    assertEquals("lovelace@example.org", user.get("email").asText());
    assertEquals(2, user.get("version").asLong());
    JsonNode race = expect(200, send("GET", "/orders/race", null));
    assertEquals(added.size(), race.get("items").size());
    assertEquals(stream.size(), race.get("version").asLong());
    JsonNode calm = expect(200, send("GET", "/orders/calm", null));
    assertEquals("SHIPPED", calm.get("status").asText());
    assertEquals(750, calm.get("total_cents").asLong());
    JsonNode byUser = expect(200, send("GET", "/orders?user=ada", null));
    assertEquals(List.of("calm", "race"), List.of(byUser.get("orders").get(0).get("order_id").asText(),
        byUser.get("orders").get(1).get("order_id").asText()));

    JsonNode rebuild = expect(202, send("POST", "/admin/rebuild", null));
    assertEquals(1, rebuild.get("rebuild").asInt());
    JsonNode status = awaitCaughtUp();
    assertEquals(1, status.get("rebuilds").asInt());

    assertEquals(user, expect(200, send("GET", "/users/ada", null)), "UserView rebuilt from offset 0");
    assertEquals(race, expect(200, send("GET", "/orders/race", null)), "OrderView rebuilt from offset 0");
    assertEquals(calm, expect(200, send("GET", "/orders/calm", null)));
    assertEquals(byUser, expect(200, send("GET", "/orders?user=ada", null)));
  }

  @Test
  void when_aCommandIsInvalidForTheState_then_itIsRefusedWithAClearError() throws Exception {
    expect(201, send("POST", "/users", "{\"user_id\":\"bob\",\"name\":\"Bob\",\"email\":\"bob@example.org\"}"));
    assertEquals("USER_ALREADY_REGISTERED", expect(409, send("POST", "/users",
        "{\"user_id\":\"bob\",\"name\":\"Bob\",\"email\":\"bob@example.org\"}")).get("error").asText());
    assertEquals("USER_NOT_FOUND", expect(404, send("PUT", "/users/nobody/email",
        "{\"email\":\"x@example.org\"}")).get("error").asText());
    expect(201, send("POST", "/orders", "{\"order_id\":\"empty\",\"user_id\":\"bob\"}"));
    assertEquals("ORDER_EMPTY", expect(409, send("POST", "/orders/empty/ship", null)).get("error").asText());
    assertEquals("ORDER_NOT_FOUND", expect(404, send("POST", "/orders/none/ship", null)).get("error").asText());
    assertEquals("INVALID_REQUEST", expect(400, send("POST", "/users",
        "{\"name\":\"Eve\",\"email\":\"not-an-email\"}")).get("error").asText());
    assertEquals("INVALID_REQUEST", expect(400, send("POST", "/orders/empty/items",
        "{\"sku\":\"pen\",\"quantity\":1,\"unit_price_cents\":1,\"colour\":\"red\"}")).get("error").asText(),
        "an unknown field is refused");

    JsonNode generated = expect(201, send("POST", "/orders", "{\"user_id\":\"bob\"}"));
    assertEquals(1, generated.get("version").asLong());
    assertTrue(generated.get("order_id").asText().length() > 0, "an id left out is generated");
  }

  private static JsonNode readTree(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }
}
