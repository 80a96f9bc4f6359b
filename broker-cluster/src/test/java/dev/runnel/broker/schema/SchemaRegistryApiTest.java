package dev.runnel.broker.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The registry's REST API over real HTTP against an in-process node: the shapes of Confluent's documented answers,
 * compatibility decided by Avro's SchemaCompatibility (409 under BACKWARD), levels, soft and permanent deletes,
 * references, and clear 4xx error bodies for bad input. Each test uses its own subjects.
 */
@Timeout(120)
class SchemaRegistryApiTest {

  static final String USER_V1 = "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.example\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"name\",\"type\":\"string\"},"
      + "{\"name\":\"email\",\"type\":\"string\"}]}";
  /** Adds a field with a default: BACKWARD compatible with v1. */
  static final String USER_V2 = "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.example\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"name\",\"type\":\"string\"},"
      + "{\"name\":\"email\",\"type\":\"string\"},{\"name\":\"age\",\"type\":\"int\",\"default\":0}]}";
  /** Adds a field without a default: a reader of this cannot read v1 data, so not BACKWARD compatible. */
  static final String USER_BAD = "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.example\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"name\",\"type\":\"string\"},"
      + "{\"name\":\"email\",\"type\":\"string\"},{\"name\":\"phone\",\"type\":\"string\"}]}";

  private static RunnelNode node;
  private static RegistryTestClient registry;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    registry = new RegistryTestClient(node.schemaRegistryAddress().orElseThrow().getPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void when_schemaRegistered_then_servedBySubjectVersionAndIdInConfluentShapes() {
    // Content of its own: the other tests register USER_V1 under their subjects, which would share its id.
    String user = USER_V1.replace("com.example", "com.example.shapes");
    RegistryTestClient.Answer registered = registry.register("users-value", null, user);
    assertEquals(200, registered.status(), registered.text());
    assertTrue(registered.contentType().startsWith("application/vnd.schemaregistry.v1+json"),
        registered.contentType());
    int id = registered.json().path("id").asInt();
    assertTrue(id > 0, "a positive id: " + registered.text());
    assertEquals(List.of("id"), fieldNames(registered.json()), "register answers {\"id\": N}");

    RegistryTestClient.Answer again = registry.register("users-value", null, user);
    assertEquals(id, again.json().path("id").asInt(), "the same schema again keeps its id");
    assertEquals("[1]", registry.get("/subjects/users-value/versions").text(), "and adds no version");

    JsonNode version = registry.get("/subjects/users-value/versions/1").json();
    assertEquals(List.of("subject", "version", "id", "schema"), fieldNames(version));
    assertEquals("users-value", version.path("subject").asText());
    assertEquals(1, version.path("version").asInt());
    assertEquals(id, version.path("id").asInt());
    assertEquals(parse(user), parse(version.path("schema").asText()));
    assertEquals(version, registry.get("/subjects/users-value/versions/latest").json());
    assertEquals(parse(user), registry.get("/subjects/users-value/versions/1/schema").json(),
        "/schema answers the schema itself");

    JsonNode byId = registry.get("/schemas/ids/" + id).json();
    assertEquals(List.of("schema"), fieldNames(byId), "AVRO leaves schemaType out");
    assertEquals(version.path("schema"), byId.path("schema"));
    assertEquals(parse(user), registry.get("/schemas/ids/" + id + "/schema").json());
    assertEquals("[\"users-value\"]", registry.get("/schemas/ids/" + id + "/subjects").text());
    assertEquals("[{\"subject\":\"users-value\",\"version\":1}]",
        registry.get("/schemas/ids/" + id + "/versions").text());
    assertTrue(strings(registry.get("/subjects").json()).contains("users-value"));

    JsonNode lookedUp = registry.post("/subjects/users-value", RegistryTestClient.body(null, user)).json();
    assertEquals(id, lookedUp.path("id").asInt());
    assertEquals(1, lookedUp.path("version").asInt());
    assertEquals("users-value", lookedUp.path("subject").asText());

    RegistryTestClient.Answer shared = registry.register("users-copy-value", null, user);
    assertEquals(id, shared.json().path("id").asInt(), "the same content under another subject shares the id");
    assertEquals("[\"AVRO\",\"JSON\"]", registry.get("/schemas/types").text());
  }

  @Test
  void when_incompatibleChangeUnderBackward_then_409AndNothingRegistered() {
    int v1 = registry.register("compat-value", null, USER_V1).json().path("id").asInt();
    assertEquals("BACKWARD", registry.get("/config").json().path("compatibilityLevel").asText());

    RegistryTestClient.Answer refused = registry.register("compat-value", null, USER_BAD);
    assertEquals(409, refused.status(), refused.text());
    assertEquals(409, refused.errorCode());
    assertTrue(refused.json().path("message").asText().contains("phone"), refused.text());
    assertEquals("[1]", registry.get("/subjects/compat-value/versions").text(), "nothing registered");

    RegistryTestClient.Answer test = registry.post("/compatibility/subjects/compat-value/versions/latest?verbose=true",
        RegistryTestClient.body(null, USER_BAD));
    assertEquals(200, test.status(), test.text());
    assertFalse(test.json().path("is_compatible").asBoolean(true));
    assertTrue(test.json().path("messages").size() > 0, test.text());
    assertEquals("{\"is_compatible\":true}", registry.post("/compatibility/subjects/compat-value/versions/latest",
        RegistryTestClient.body(null, USER_V2)).text());

    RegistryTestClient.Answer v2 = registry.register("compat-value", null, USER_V2);
    assertEquals(200, v2.status(), v2.text());
    assertNotEquals(v1, v2.json().path("id").asInt(), "new content, new id");
    assertEquals("[1,2]", registry.get("/subjects/compat-value/versions").text());
  }

  @Test
  void when_levelsSet_then_subjectLevelOverridesGlobalAndDecides() {
    registry.register("levels-value", null, USER_V1);
    RegistryTestClient.Answer none = registry.get("/config/levels-value");
    assertEquals(404, none.status(), none.text());
    assertEquals(40408, none.errorCode());
    assertEquals("BACKWARD",
        registry.get("/config/levels-value?defaultToGlobal=true").json().path("compatibilityLevel").asText());

    RegistryTestClient.Answer set = registry.put("/config/levels-value", "{\"compatibility\":\"NONE\"}");
    assertEquals("{\"compatibility\":\"NONE\"}", set.text());
    assertEquals("NONE", registry.get("/config/levels-value").json().path("compatibilityLevel").asText());
    assertEquals(200, registry.register("levels-value", null, USER_BAD).status(), "NONE allows any change");

    registry.put("/config/levels-value", "{\"compatibility\":\"FORWARD_TRANSITIVE\"}");
    assertEquals(409, registry.register("levels-value", null,
        "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.example\",\"fields\":[]}").status(),
        "dropping fields without defaults breaks FORWARD: old readers cannot read the new data");

    RegistryTestClient.Answer removed = registry.delete("/config/levels-value");
    assertEquals("{\"compatibilityLevel\":\"FORWARD_TRANSITIVE\"}", removed.text(), "answers the removed level");
    assertEquals(40408, registry.get("/config/levels-value").errorCode());

    RegistryTestClient.Answer invalid = registry.put("/config/levels-value", "{\"compatibility\":\"SIDEWAYS\"}");
    assertEquals(422, invalid.status(), invalid.text());
    assertEquals(42203, invalid.errorCode());
  }

  @Test
  void when_deleted_then_softFirstThenPermanentWithConfluentCodes() {
    String v1 = USER_V1.replace("com.example", "com.example.deletes");
    String v2 = USER_V2.replace("com.example", "com.example.deletes");
    registry.register("deletes-value", null, v1);
    int id2 = registry.register("deletes-value", null, v2).json().path("id").asInt();

    assertEquals(40407, registry.delete("/subjects/deletes-value/versions/2?permanent=true").errorCode(),
        "a version must be soft-deleted before it is permanently deleted");
    assertEquals("2", registry.delete("/subjects/deletes-value/versions/2").text());
    assertEquals("[1]", registry.get("/subjects/deletes-value/versions").text());
    assertEquals("[1,2]", registry.get("/subjects/deletes-value/versions?deleted=true").text());
    assertEquals(40402, registry.get("/subjects/deletes-value/versions/2").errorCode());
    assertEquals(200, registry.get("/subjects/deletes-value/versions/2?deleted=true").status());
    assertEquals(200, registry.get("/schemas/ids/" + id2).status(), "a soft-deleted schema keeps its id");
    assertEquals(40406, registry.delete("/subjects/deletes-value/versions/2").errorCode());

    assertEquals(40405, registry.delete("/subjects/deletes-value?permanent=true").errorCode());
    assertEquals("[1]", registry.delete("/subjects/deletes-value").text());
    assertFalse(strings(registry.get("/subjects").json()).contains("deletes-value"));
    assertTrue(strings(registry.get("/subjects?deleted=true").json()).contains("deletes-value"));
    assertEquals(40401, registry.get("/subjects/deletes-value/versions").errorCode());
    assertEquals(40404, registry.delete("/subjects/deletes-value").errorCode());

    assertEquals("[1,2]", registry.delete("/subjects/deletes-value?permanent=true").text());
    assertFalse(strings(registry.get("/subjects?deleted=true").json()).contains("deletes-value"));
    assertEquals(40401, registry.delete("/subjects/deletes-value").errorCode());
    assertEquals(40403, registry.get("/schemas/ids/" + id2).errorCode(), "erased with its only version");

    int reRegistered = registry.register("deletes-value", null, v2).json().path("id").asInt();
    assertTrue(reRegistered > id2, "an erased id is never given to other content: " + reRegistered);
  }

  @Test
  void when_schemaReferencesAnother_then_registeredAndReferencedByAndProtected() {
    String address = "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"com.example\",\"fields\":["
        + "{\"name\":\"street\",\"type\":\"string\"}]}";
    int addressId = registry.register("address-value", null, address).json().path("id").asInt();
    String customer = "{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":\"com.example\",\"fields\":["
        + "{\"name\":\"address\",\"type\":\"com.example.Address\"}]}";
    ObjectNode body = RegistryTestClient.JSON.createObjectNode().put("schema", customer);
    body.putArray("references").addObject()
        .put("name", "com.example.Address").put("subject", "address-value").put("version", 1);
    RegistryTestClient.Answer registered = registry.post("/subjects/customer-value/versions", body.toString());
    assertEquals(200, registered.status(), registered.text());
    int customerId = registered.json().path("id").asInt();
    assertNotEquals(addressId, customerId);

    JsonNode byId = registry.get("/schemas/ids/" + customerId).json();
    assertEquals("com.example.Address", byId.path("references").get(0).path("name").asText());
    assertTrue(byId.path("schema").asText().contains("\"type\":\"Address\"")
            && !byId.path("schema").asText().contains("street"),
        "the referenced type stays a name (Avro writes it relative to the namespace), not inlined: " + byId);
    assertEquals("[" + customerId + "]", registry.get("/subjects/address-value/versions/1/referencedby").text());
    assertEquals(42206, registry.delete("/subjects/address-value/versions/1").errorCode());

    ObjectNode dangling = RegistryTestClient.JSON.createObjectNode().put("schema", customer);
    dangling.putArray("references").addObject()
        .put("name", "com.example.Address").put("subject", "address-value").put("version", 7);
    RegistryTestClient.Answer refused = registry.post("/subjects/dangling-value/versions", dangling.toString());
    assertEquals(422, refused.status(), refused.text());
    assertEquals(42201, refused.errorCode());
  }

  @Test
  void when_jsonSchemaRegistered_then_validatedAndOnlyIdenticalIsCompatible() {
    String person = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}";
    RegistryTestClient.Answer registered = registry.register("person-value", "JSON", person);
    assertEquals(200, registered.status(), registered.text());
    JsonNode byId = registry.get("/schemas/ids/" + registered.json().path("id").asInt()).json();
    assertEquals("JSON", byId.path("schemaType").asText());

    RegistryTestClient.Answer invalid = registry.register("person-value", "JSON", "{\"type\":\"strnig\"}");
    assertEquals(422, invalid.status(), invalid.text());
    assertEquals(42201, invalid.errorCode());
    assertEquals(409, registry.register("person-value", "JSON",
        "{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\"}}}").status());

    RegistryTestClient.Answer protobuf = registry.register("proto-value", "PROTOBUF", "syntax = \"proto3\";");
    assertEquals(42201, protobuf.errorCode());
    assertTrue(protobuf.json().path("message").asText().contains("PROTOBUF"), protobuf.text());
  }

  @Test
  void when_inputIsBad_then_clearErrorBodyNever500() {
    List<RegistryTestClient.Answer> answers = new ArrayList<>();
    answers.add(registry.post("/subjects/bad-value/versions", "{not json"));
    answers.add(registry.post("/subjects/bad-value/versions", "{\"schema\": 42}"));
    answers.add(registry.post("/subjects/bad-value/versions", "{\"schema\": \"{\\\"type\\\": \\\"recrod\\\"}\"}"));
    answers.add(registry.post("/subjects/bad-value/versions", "[]"));
    answers.add(registry.post("/subjects/bad-value/versions", ""));
    answers.add(registry.register("bad-value", "XML", "<a/>"));
    answers.add(registry.get("/subjects/bad-value/versions/zero"));
    answers.add(registry.get("/subjects/nobody/versions/1"));
    answers.add(registry.get("/schemas/ids/abc"));
    answers.add(registry.get("/schemas/ids/999999"));
    answers.add(registry.get("/no/such/path"));
    answers.add(registry.put("/config", "{\"compatibility\": 3}"));
    for (RegistryTestClient.Answer answer : answers) {
      assertTrue(answer.status() >= 400 && answer.status() < 500, answer.status() + " " + answer.text());
      assertTrue(answer.json().path("error_code").asInt() >= 400, "error_code in " + answer.text());
      assertFalse(answer.json().path("message").asText().isEmpty(), "message in " + answer.text());
    }
    assertEquals(400, answers.get(0).status());
    assertEquals(42201, answers.get(1).errorCode());
    assertEquals(42201, answers.get(2).errorCode());
    assertEquals(42202, answers.get(6).errorCode());
    assertEquals(40401, answers.get(7).errorCode());
    assertEquals(40403, answers.get(9).errorCode());
    assertEquals(40401, registry.get("/subjects/bad-value/versions").errorCode(), "nothing was registered");
  }

  private static JsonNode parse(String text) {
    try {
      return RegistryTestClient.JSON.readTree(text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }
}
