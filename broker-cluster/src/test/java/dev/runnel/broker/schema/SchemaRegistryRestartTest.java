package dev.runnel.broker.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The registry lives in {@code _schemas}: after a restart of the node on the same data directory, every subject,
 * version, id, level and soft delete is served as before, and a new schema takes the next id, never one given out
 * before (also one whose only version was permanently deleted).
 */
@Timeout(180)
class SchemaRegistryRestartTest {

  @Test
  void when_nodeRestarts_then_idsVersionsLevelsAndDeletesSurvive() {
    Path dataDir = TestNodes.newDataDir();
    int userId;
    int erasedId;
    try (RunnelNode node = TestNodes.start(dataDir)) {
      RegistryTestClient registry = registry(node);
      userId = registry.register("users-value", null, SchemaRegistryApiTest.USER_V1).json().path("id").asInt();
      assertEquals(200, registry.register("users-value", null, SchemaRegistryApiTest.USER_V2).status());
      registry.put("/config/users-value", "{\"compatibility\":\"FULL\"}");
      registry.put("/config", "{\"compatibility\":\"FORWARD\"}");
      erasedId = registry.register("gone-value", null, "\"string\"").json().path("id").asInt();
      assertEquals("[1]", registry.delete("/subjects/gone-value").text());
      assertEquals("[1]", registry.delete("/subjects/gone-value?permanent=true").text());
      assertEquals("2", registry.delete("/subjects/users-value/versions/2").text());
    }

    try (RunnelNode node = TestNodes.start(dataDir)) {
      RegistryTestClient registry = registry(node);
      RegistryTestClient.Answer v1 = registry.get("/subjects/users-value/versions/1");
      assertEquals(200, v1.status(), v1.text());
      assertEquals(userId, v1.json().path("id").asInt(), "the id survives");
      assertEquals(200, registry.get("/schemas/ids/" + userId).status());
      assertEquals("[1]", registry.get("/subjects/users-value/versions").text(), "the soft delete survives");
      assertEquals("[1,2]", registry.get("/subjects/users-value/versions?deleted=true").text());
      assertEquals("FULL", registry.get("/config/users-value").json().path("compatibilityLevel").asText());
      assertEquals("FORWARD", registry.get("/config").json().path("compatibilityLevel").asText());
      assertEquals(40401, registry.get("/subjects/gone-value/versions").errorCode(), "the hard delete survives");

      int next = registry.register("next-value", null, "\"long\"").json().path("id").asInt();
      assertTrue(next > erasedId && next > userId, "a new id after every id given out before: " + next);
      RegistryTestClient.Answer v3 = registry.register("users-value", null,
          SchemaRegistryApiTest.USER_V2.replace("\"default\":0", "\"default\":1"));
      assertEquals(200, v3.status(), v3.text());
      assertEquals("[1,3]", registry.get("/subjects/users-value/versions").text(),
          "the next version after the soft-deleted one");
    }
  }

  private static RegistryTestClient registry(RunnelNode node) {
    return new RegistryTestClient(node.schemaRegistryAddress().orElseThrow().getPort());
  }
}
