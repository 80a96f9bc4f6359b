package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Topic administration over real HTTP against an in-process node. */
@Timeout(120)
class HttpTopicAdminTest {

  private static RunnelNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.num-partitions", 2));
    http = new HttpTestClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void when_topicCreated_then_listedAndDescribedWithPartitionsAndConfigs() {
    HttpTestClient.Answer created = http.post("/topics",
        "{\"name\": \"orders\", \"partitions\": 3, \"configs\": {\"retention.ms\": \"3600000\"}}");
    assertEquals(201, created.status(), created.text());
    assertEquals("orders", created.json().path("name").asText());
    assertEquals(3, created.json().path("partitions").asInt());
    assertFalse(created.json().path("topic_id").asText().isEmpty(), "a topic id");
    assertEquals("3600000", created.json().path("configs").path("retention.ms").asText());

    assertTrue(names(http.get("/topics").json()).contains("orders"), "listed");

    HttpTestClient.Answer described = http.get("/topics/orders");
    assertEquals(200, described.status(), described.text());
    assertEquals(created.json().path("topic_id"), described.json().path("topic_id"));
    JsonNode partitions = described.json().path("partitions");
    assertEquals(3, partitions.size());
    for (int p = 0; p < 3; p++) {
      assertEquals(p, partitions.get(p).path("partition").asInt());
      assertEquals(0, partitions.get(p).path("log_start_offset").asLong(-1));
      assertEquals(0, partitions.get(p).path("log_end_offset").asLong(-1));
      assertEquals(0, partitions.get(p).path("size_in_bytes").asLong(-1));
    }
    JsonNode retention = config(described.json(), "retention.ms");
    assertEquals("3600000", retention.path("value").asText());
    assertTrue(retention.path("overridden").asBoolean(), "retention.ms is set on the topic");
    assertEquals("604800000", retention.path("default_value").asText());
    JsonNode maxMessage = config(described.json(), "max.message.bytes");
    assertEquals("1048588", maxMessage.path("value").asText());
    assertFalse(maxMessage.path("overridden").asBoolean(), "max.message.bytes is the default");
  }

  @Test
  void when_partitionsOmitted_then_brokerDefaultNumPartitions() {
    HttpTestClient.Answer created = http.post("/topics", "{\"name\": \"defaulted\"}");
    assertEquals(201, created.status(), created.text());
    assertEquals(2, created.json().path("partitions").asInt());
  }

  @Test
  void when_partitionsAdded_then_topicHasMore() {
    assertEquals(201, http.post("/topics", "{\"name\": \"growing\", \"partitions\": 1}").status());
    HttpTestClient.Answer grown = http.post("/topics/growing/partitions", "{\"partitions\": 4}");
    assertEquals(200, grown.status(), grown.text());
    assertEquals(4, grown.json().path("partitions").asInt());
    assertEquals(4, http.get("/topics/growing").json().path("partitions").size());
    HttpTestClient.Answer produced =
        http.post("/topics/growing/records", "{\"records\": [{\"value\": 1, \"partition\": 3}]}");
    assertEquals(200, produced.status(), produced.text());

    HttpTestClient.Answer shrink = http.post("/topics/growing/partitions", "{\"partitions\": 2}");
    assertEquals(400, shrink.status(), shrink.text());
    assertEquals("INVALID_PARTITIONS", shrink.error());
    assertEquals(37, shrink.json().path("code").asInt());
  }

  @Test
  void when_configsAltered_then_replacedAndOthersBackToDefaults() {
    assertEquals(201,
        http.post("/topics", "{\"name\": \"tuned\", \"configs\": {\"retention.ms\": \"1000\"}}").status());
    HttpTestClient.Answer altered = http.put("/topics/tuned/configs",
        "{\"configs\": {\"max.message.bytes\": 2048, \"cleanup.policy\": \"compact\"}}");
    assertEquals(200, altered.status(), altered.text());
    JsonNode described = http.get("/topics/tuned").json();
    assertEquals("2048", config(described, "max.message.bytes").path("value").asText());
    assertEquals("compact", config(described, "cleanup.policy").path("value").asText());
    assertFalse(config(described, "retention.ms").path("overridden").asBoolean(),
        "AlterConfigs replaces the set: retention.ms returns to its default");
    assertEquals("604800000", config(described, "retention.ms").path("value").asText());
    assertEquals(described.path("configs"), http.get("/topics/tuned/configs").json());
    assertEquals(described.path("configs"), altered.json());
  }

  @Test
  void when_topicDeletedAndRecreated_then_nameReusedAndOldDataGone() {
    assertEquals(201, http.post("/topics", "{\"name\": \"phoenix\", \"partitions\": 1}").status());
    HttpTestClient.Answer produced = http.post("/topics/phoenix/records",
        "{\"records\": [{\"value\": \"a\"}, {\"value\": \"b\"}, {\"value\": \"c\"}]}");
    assertEquals(200, produced.status(), produced.text());
    JsonNode before = http.get("/topics/phoenix").json();
    assertEquals(3, before.path("partitions").get(0).path("log_end_offset").asLong());

    HttpTestClient.Answer deleted = http.delete("/topics/phoenix");
    assertEquals(200, deleted.status(), deleted.text());
    assertEquals("phoenix", deleted.json().path("name").asText());
    HttpTestClient.Answer gone = http.get("/topics/phoenix");
    assertEquals(404, gone.status(), gone.text());
    assertEquals("UNKNOWN_TOPIC_OR_PARTITION", gone.error());

    HttpTestClient.Answer again = http.post("/topics", "{\"name\": \"phoenix\", \"partitions\": 1}");
    assertEquals(201, again.status(), again.text());
    assertNotEquals(before.path("topic_id").asText(), again.json().path("topic_id").asText());
    JsonNode after = http.get("/topics/phoenix").json().path("partitions").get(0);
    assertEquals(0, after.path("log_start_offset").asLong(-1));
    assertEquals(0, after.path("log_end_offset").asLong(-1));
    assertEquals(0, after.path("size_in_bytes").asLong(-1));
    JsonNode read = http.get("/topics/phoenix/partitions/0/records").json();
    assertEquals(0, read.path("records").size(), read.toString());
  }

  @Test
  void when_topicExists_then_createAgainConflicts() {
    assertEquals(201, http.post("/topics", "{\"name\": \"twice\"}").status());
    HttpTestClient.Answer again = http.post("/topics", "{\"name\": \"twice\"}");
    assertEquals(409, again.status(), again.text());
    assertEquals("TOPIC_ALREADY_EXISTS", again.error());
    assertEquals(36, again.json().path("code").asInt());
  }

  private static List<String> names(JsonNode list) {
    List<String> names = new ArrayList<>();
    list.forEach(topic -> names.add(topic.path("name").asText()));
    return names;
  }

  private static JsonNode config(JsonNode description, String name) {
    for (JsonNode entry : description.path("configs")) {
      if (entry.path("name").asText().equals(name)) {
        return entry;
      }
    }
    throw new AssertionError("no config " + name + " in " + description);
  }
}
