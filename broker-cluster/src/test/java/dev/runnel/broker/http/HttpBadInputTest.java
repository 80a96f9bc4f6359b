package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.net.http.HttpRequest;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input over real HTTP: each mistake gets its Kafka error as JSON with a fitting status, never a 500, and
 * afterwards the node is healthy and the data written before is intact (checked after every test).
 */
@Timeout(120)
class HttpBadInputTest {

  private static final String KEPT = "{\"records\": [{\"key\": \"k0\", \"value\": {\"n\": 0}},"
      + " {\"key\": \"k1\", \"value\": {\"n\": 1}}, {\"key\": \"k2\", \"value\": {\"n\": 2}}]}";

  private static RunnelNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.http.max-request-size", "64 KiB"));
    http = new HttpTestClient(node.httpPort());
    assertEquals(201, http.post("/topics", "{\"name\": \"kept\", \"partitions\": 1}").status());
    HttpTestClient.Answer produced = http.post("/topics/kept/records", KEPT);
    assertEquals(200, produced.status(), produced.text());
    assertEquals(201, http.post("/topics",
        "{\"name\": \"small\", \"partitions\": 2, \"configs\": {\"max.message.bytes\": \"1000\"}}").status());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @AfterEach
  void nodeIsHealthyAndDataIntact() {
    HttpTestClient.Answer health = http.get("/health");
    assertEquals(200, health.status());
    assertEquals("UP", health.json().path("status").asText());
    JsonNode read = http.get("/topics/kept/partitions/0/records").json();
    assertEquals(3, read.path("records").size(), read.toString());
    for (int i = 0; i < 3; i++) {
      JsonNode record = read.path("records").get(i);
      assertEquals(i, record.path("offset").asLong());
      assertEquals("k" + i, record.path("key").asText());
      assertEquals(i, record.path("value").path("n").asInt());
    }
    assertEquals(3, http.get("/topics/kept").json().path("partitions").get(0).path("log_end_offset").asLong());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a/b", "..", ".", "spaced name", "ünïcode", ""})
  void when_topicNameInvalid_then_invalidTopicException(String name) {
    HttpTestClient.Answer answer = http.post("/topics", HttpTestClient.json(Map.of("name", name)));
    assertError(answer, 400, "INVALID_TOPIC_EXCEPTION", 17);
  }

  @Test
  void when_topicNameTooLong_then_invalidTopicExceptionOnCreateDescribeAndProduce() {
    String name = "t".repeat(250);
    assertError(http.post("/topics", HttpTestClient.json(Map.of("name", name))), 400, "INVALID_TOPIC_EXCEPTION", 17);
    assertError(http.get("/topics/" + name), 400, "INVALID_TOPIC_EXCEPTION", 17);
    assertError(http.post("/topics/" + name + "/records", "{\"records\": [{\"value\": 1}]}"),
        400, "INVALID_TOPIC_EXCEPTION", 17);
    assertFalse(http.get("/topics").text().contains(name), "no such topic was created");
  }

  @Test
  void when_topicUnknown_then_unknownTopicOrPartitionOnDescribeConsumeDeleteAndAlter() {
    assertError(http.get("/topics/nowhere"), 404, "UNKNOWN_TOPIC_OR_PARTITION", 3);
    assertError(http.get("/topics/nowhere/partitions/0/records"), 404, "UNKNOWN_TOPIC_OR_PARTITION", 3);
    assertError(http.delete("/topics/nowhere"), 404, "UNKNOWN_TOPIC_OR_PARTITION", 3);
    assertError(http.put("/topics/nowhere/configs", "{\"configs\": {}}"), 404, "UNKNOWN_TOPIC_OR_PARTITION", 3);
    assertError(http.post("/topics/nowhere/partitions", "{\"partitions\": 3}"), 404, "UNKNOWN_TOPIC_OR_PARTITION", 3);
    assertEquals(404, http.get("/topics/nowhere").status(), "consuming did not create the topic");
  }

  @Test
  void when_partitionUnknown_then_unknownTopicOrPartition() {
    assertError(http.get("/topics/kept/partitions/7/records"), 404, "UNKNOWN_TOPIC_OR_PARTITION", 3);
    assertError(http.get("/topics/kept/partitions/-1/records"), 404, "UNKNOWN_TOPIC_OR_PARTITION", 3);
    assertError(http.post("/topics/kept/records", "{\"records\": [{\"value\": 1}, {\"value\": 2, \"partition\": 5}]}"),
        404, "UNKNOWN_TOPIC_OR_PARTITION", 3);
    assertError(http.get("/topics/kept/partitions/zero/records"), 400, "INVALID_REQUEST", 42);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "4", "1000000"})
  void when_offsetOutOfRange_then_offsetOutOfRange(String offset) {
    HttpTestClient.Answer answer = http.get("/topics/kept/partitions/0/records?offset=" + offset);
    assertError(answer, 416, "OFFSET_OUT_OF_RANGE", 1);
    assertTrue(answer.json().path("message").asText().contains("from 0 to before 3"), answer.text());
    HttpTestClient.Answer streamed = http.send(HttpRequest.newBuilder(
        http.uri("/topics/kept/partitions/0/records?follow=true&offset=" + offset))
        .header("Accept", "application/x-ndjson").GET());
    assertError(streamed, 416, "OFFSET_OUT_OF_RANGE", 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"offset=abc", "offset=1.5", "limit=-5", "limit=0", "limit=x", "max_bytes=0",
      "timeout_ms=-1", "format=xml", "follow=maybe", "follow=true"})
  void when_queryParameterBad_then_invalidRequest(String query) {
    assertError(http.get("/topics/kept/partitions/0/records?" + query), 400, "INVALID_REQUEST", 42);
  }

  @Test
  void when_recordOverMaxMessageBytes_then_messageTooLargeAndOtherPartitionsStored() {
    String big = "x".repeat(5000);
    HttpTestClient.Answer alone = http.post("/topics/small/records",
        "{\"records\": [{\"value\": \"" + big + "\", \"partition\": 0}]}");
    assertError(alone, 413, "MESSAGE_TOO_LARGE", 10);
    assertEquals("MESSAGE_TOO_LARGE", alone.json().path("offsets").get(0).path("error").asText());
    assertTrue(alone.json().path("offsets").get(0).path("offset").isMissingNode(), alone.text());

    HttpTestClient.Answer mixed = http.post("/topics/small/records",
        "{\"records\": [{\"value\": \"fits\", \"partition\": 1}, {\"value\": \"" + big + "\", \"partition\": 0}]}");
    assertError(mixed, 413, "MESSAGE_TOO_LARGE", 10);
    JsonNode offsets = mixed.json().path("offsets");
    assertEquals(1, offsets.get(0).path("partition").asInt());
    assertEquals(0, offsets.get(0).path("offset").asLong(-1), mixed.text());
    assertTrue(offsets.get(0).path("error").isMissingNode(), mixed.text());
    assertEquals("MESSAGE_TOO_LARGE", offsets.get(1).path("error").asText());

    JsonNode described = http.get("/topics/small").json().path("partitions");
    assertEquals(0, described.get(0).path("log_end_offset").asLong(), "nothing of the refused partition stored");
    assertEquals(1, described.get(1).path("log_end_offset").asLong());
  }

  @Test
  void when_requestBodyOverLimit_then_messageTooLarge() {
    String body = "{\"records\": [{\"value\": \"" + "y".repeat(100 * 1024) + "\"}]}";
    assertError(http.post("/topics/kept/records", body), 413, "MESSAGE_TOO_LARGE", 10);
    // Without a declared length (chunked), the limit is met while the body streams in.
    byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertError(http.send(HttpRequest.newBuilder(http.uri("/topics/kept/records"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes)))),
        413, "MESSAGE_TOO_LARGE", 10);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{", "{\"records\": [", "not json", "[1, 2]", "\"text\"", "{\"name\": \"x\"} trailing"})
  void when_bodyIsNotAJsonObject_then_invalidRequest(String body) {
    assertError(http.post("/topics", body), 400, "INVALID_REQUEST", 42);
    assertError(http.post("/topics/kept/records", body), 400, "INVALID_REQUEST", 42);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"name\": 5}",
      "{\"name\": \"typed\", \"partitions\": \"three\"}",
      "{\"name\": \"typed\", \"partitions\": 1.5}",
      "{\"name\": \"typed\", \"configs\": [1]}",
      "{\"name\": \"typed\", \"configs\": {\"retention.ms\": {\"a\": 1}}}",
      "{\"name\": \"typed\", \"partitons\": 3}",
      "{\"partitions\": 3}"})
  void when_createFieldHasWrongType_then_invalidRequest(String body) {
    assertError(http.post("/topics", body), 400, "INVALID_REQUEST", 42);
    assertEquals(404, http.get("/topics/typed").status(), "nothing created");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{}",
      "{\"records\": []}",
      "{\"records\": {}}",
      "{\"records\": [5]}",
      "{\"records\": [{\"value\": 1, \"partition\": \"0\"}]}",
      "{\"records\": [{\"value\": 1, \"timestamp\": \"now\"}]}",
      "{\"records\": [{\"value\": 1, \"headers\": [\"h\"]}]}",
      "{\"records\": [{\"value\": 1, \"headers\": {\"h\": 5}}]}",
      "{\"records\": [{\"valeu\": 1}]}",
      "{\"format\": \"binary\", \"records\": [{\"value\": \"not base64!\"}]}",
      "{\"format\": \"avro\", \"records\": [{\"value\": 1}]}"})
  void when_produceBodyMalformed_then_invalidRequestAndNothingStored(String body) {
    assertError(http.post("/topics/kept/records", body), 400, "INVALID_REQUEST", 42);
  }

  @Test
  void when_timestampNegative_then_invalidTimestamp() {
    assertError(http.post("/topics/kept/records", "{\"records\": [{\"value\": 1, \"timestamp\": -5}]}"),
        400, "INVALID_TIMESTAMP", 32);
  }

  @Test
  void when_configInvalid_then_invalidConfig() {
    assertError(http.post("/topics", "{\"name\": \"conf\", \"configs\": {\"retention.ms\": \"soon\"}}"),
        400, "INVALID_CONFIG", 40);
    assertError(http.post("/topics", "{\"name\": \"conf\", \"configs\": {\"no.such.config\": \"1\"}}"),
        400, "INVALID_CONFIG", 40);
    assertError(http.put("/topics/kept/configs", "{\"configs\": {\"cleanup.policy\": \"shred\"}}"),
        400, "INVALID_CONFIG", 40);
    assertError(http.put("/topics/kept/configs", "{\"configs\": {\"no.such.config\": \"1\"}}"),
        400, "INVALID_CONFIG", 40);
    assertError(http.put("/topics/kept/configs", "{}"), 400, "INVALID_REQUEST", 42);
    assertEquals(404, http.get("/topics/conf").status(), "nothing created");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -3, 1_000_000})
  void when_partitionCountInvalid_then_invalidPartitions(int partitions) {
    assertError(http.post("/topics", "{\"name\": \"parts\", \"partitions\": " + partitions + "}"),
        400, "INVALID_PARTITIONS", 37);
    assertError(http.post("/topics/kept/partitions", "{\"partitions\": " + partitions + "}"),
        400, "INVALID_PARTITIONS", 37);
  }

  @Test
  void when_pathOrMethodUnknown_then_jsonErrorWithItsStatus() {
    assertError(http.get("/nothing/here"), 404, "INVALID_REQUEST", 42);
    assertError(http.send(HttpRequest.newBuilder(http.uri("/topics")).method("PATCH",
        HttpRequest.BodyPublishers.ofString("{}"))), 405, "INVALID_REQUEST", 42);
  }

  @ParameterizedTest
  @ValueSource(strings = {"FOO", "PROPFIND", "BREW"})
  void when_methodUnknownToHttp_then_405InvalidRequestAsJson(String method) throws Exception {
    assertError(raw(method + " /topics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        405, "INVALID_REQUEST", 42);
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET /topics HTTP/9.9", "GET /topics HTTP/2.0", "GET /topics HTTX/1.1",
      "GET /topics HTTP/1.1 extra", "GET /to\u0001pics HTTP/1.1"})
  void when_requestLineMalformedOrVersionUnsupported_then_400InvalidRequestAsJson(String line) throws Exception {
    assertError(raw(line + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), 400, "INVALID_REQUEST", 42);
  }

  @ParameterizedTest
  @ValueSource(longs = {-1, -2, -3, Long.MIN_VALUE})
  void when_offsetResetToNegativeTimestamp_then_invalidRequestAndNoSentinelMeaning(long timestamp) {
    assertError(http.post("/groups/resetter/offsets/reset",
        "{\"topic\": \"kept\", \"to\": \"timestamp\", \"timestamp\": " + timestamp + "}"),
        400, "INVALID_REQUEST", 42);
    assertEquals(0, http.get("/groups").json().size(), "nothing was committed for the group");
  }

  /** Sends {@code request} as raw bytes, for what an HTTP client library would refuse to send. */
  private static HttpTestClient.Answer raw(String request) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", node.httpPort())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      int status = Integer.parseInt(answer.substring(9, 12));
      String head = answer.substring(0, answer.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
      String type = head.contains("content-type: application/json") ? "application/json" : head;
      return new HttpTestClient.Answer(status, type, answer.substring(answer.indexOf("\r\n\r\n") + 4));
    }
  }

  private static void assertError(HttpTestClient.Answer answer, int status, String error, int code) {
    assertEquals(status, answer.status(), answer.text());
    assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
    JsonNode json = answer.json();
    assertEquals(error, json.path("error").asText(), answer.text());
    assertEquals(code, json.path("code").asInt(), answer.text());
    assertFalse(json.path("message").asText().isEmpty(), "a message: " + answer.text());
  }
}
