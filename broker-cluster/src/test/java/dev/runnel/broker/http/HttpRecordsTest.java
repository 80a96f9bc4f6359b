package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** JSON and binary produce, reads back, and NDJSON streams, over real HTTP against an in-process node. */
@Timeout(120)
class HttpRecordsTest {

  private static RunnelNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    http = new HttpTestClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void when_keyedJsonRecordsProduced_then_readBackFromTheKafkaPartitionOfTheirKey() {
    assertEquals(201, http.post("/topics", "{\"name\": \"keyed\", \"partitions\": 4}").status());
    ArrayNode records = HttpTestClient.JSON.createArrayNode();
    for (int i = 0; i < 20; i++) {
      ObjectNode record = records.addObject();
      record.put("key", "user-" + i);
      record.putObject("value").put("n", i).put("name", "event " + i);
      record.putObject("headers").put("trace", "t" + i);
      record.put("timestamp", 1_700_000_000_000L + i);
    }
    HttpTestClient.Answer produced =
        http.post("/topics/keyed/records", HttpTestClient.json(Map.of("records", records)));
    assertEquals(200, produced.status(), produced.text());
    JsonNode offsets = produced.json().path("offsets");
    assertEquals(20, offsets.size());

    for (int i = 0; i < 20; i++) {
      int expected = BuiltInPartitioner.partitionForKey(("user-" + i).getBytes(StandardCharsets.UTF_8), 4);
      JsonNode offset = offsets.get(i);
      assertEquals(expected, offset.path("partition").asInt(), "partition of user-" + i);
      JsonNode read = http.get("/topics/keyed/partitions/" + expected + "/records?offset="
          + offset.path("offset").asLong() + "&limit=1").json();
      JsonNode record = read.path("records").get(0);
      assertEquals(offset.path("offset").asLong(), record.path("offset").asLong());
      assertEquals("user-" + i, record.path("key").asText());
      assertEquals(i, record.path("value").path("n").asInt());
      assertEquals("event " + i, record.path("value").path("name").asText());
      assertEquals("t" + i, record.path("headers").path("trace").asText());
      assertEquals(1_700_000_000_000L + i, record.path("timestamp").asLong());
      assertEquals(offset.path("offset").asLong() + 1, read.path("next_offset").asLong());
    }
  }

  @Test
  void when_keylessRecordsProduced_then_oneRequestOnePartitionAndTheNextRequestTheNext() {
    assertEquals(201, http.post("/topics", "{\"name\": \"keyless\", \"partitions\": 2}").status());
    String three = "{\"records\": [{\"value\": 1}, {\"value\": 2}, {\"value\": 3}]}";
    JsonNode first = http.post("/topics/keyless/records", three).json().path("offsets");
    JsonNode second = http.post("/topics/keyless/records", three).json().path("offsets");
    int p1 = first.get(0).path("partition").asInt();
    int p2 = second.get(0).path("partition").asInt();
    for (int i = 0; i < 3; i++) {
      assertEquals(p1, first.get(i).path("partition").asInt(), "sticky within a request");
      assertEquals(i, first.get(i).path("offset").asLong());
      assertEquals(p2, second.get(i).path("partition").asInt(), "sticky within a request");
    }
    assertEquals(1 - p1, p2, "the next request goes to the next partition");
  }

  @Test
  void when_binaryRecordsProduced_then_exactBytesReadBack() {
    assertEquals(201, http.post("/topics", "{\"name\": \"bytes\", \"partitions\": 1}").status());
    byte[] key = {0, 1, 2, (byte) 0xff};
    byte[] value = {(byte) 0xc3, (byte) 0x28, 0, 127, (byte) 0x80};
    byte[] header = {(byte) 0xfe, 7};
    Base64.Encoder b64 = Base64.getEncoder();
    String body = "{\"format\": \"binary\", \"records\": [{\"key\": \"" + b64.encodeToString(key)
        + "\", \"value\": \"" + b64.encodeToString(value) + "\", \"headers\": {\"h\": \""
        + b64.encodeToString(header) + "\"}}, {\"key\": null, \"value\": null}]}";
    HttpTestClient.Answer produced = http.post("/topics/bytes/records", body);
    assertEquals(200, produced.status(), produced.text());
    assertEquals(0, produced.json().path("offsets").get(0).path("offset").asLong());
    assertEquals(1, produced.json().path("offsets").get(1).path("offset").asLong());

    JsonNode read = http.get("/topics/bytes/partitions/0/records?format=binary").json();
    JsonNode first = read.path("records").get(0);
    assertArrayEquals(key, Base64.getDecoder().decode(first.path("key").asText()));
    assertArrayEquals(value, Base64.getDecoder().decode(first.path("value").asText()));
    assertArrayEquals(header, Base64.getDecoder().decode(first.path("headers").path("h").asText()));
    JsonNode tombstone = read.path("records").get(1);
    assertTrue(tombstone.path("key").isNull(), "null key");
    assertTrue(tombstone.path("value").isNull(), "null value (tombstone)");
    assertEquals(2, read.path("next_offset").asLong());
  }

  @Test
  void when_jsonValuesOfEveryKindProduced_then_readBackByTheDocumentedRule() {
    String body = "{\"records\": [{\"value\": \"plain text\"}, {\"value\": 42}, {\"value\": 1.50},"
        + " {\"value\": [1, \"two\"]}, {\"value\": true}, {\"value\": {\"a\": {\"b\": null}}}, {\"value\": null}]}";
    assertEquals(201, http.post("/topics", "{\"name\": \"kinds\", \"partitions\": 1}").status());
    HttpTestClient.Answer produced = http.post("/topics/kinds/records", body);
    assertEquals(200, produced.status(), produced.text());

    JsonNode records = http.get("/topics/kinds/partitions/0/records").json().path("records");
    assertEquals("plain text", records.get(0).path("value").textValue());
    assertEquals(42, records.get(1).path("value").intValue());
    assertEquals(1.5, records.get(2).path("value").doubleValue());
    assertEquals("[1,\"two\"]", records.get(3).path("value").toString());
    assertTrue(records.get(4).path("value").booleanValue());
    assertEquals("{\"a\":{\"b\":null}}", records.get(5).path("value").toString());
    assertTrue(records.get(6).path("value").isNull());
    // The stored bytes of a JSON string are the string itself, unquoted, as a Kafka StringDeserializer reads it.
    // Other JSON values are stored as their exact JSON text (numbers keep their digits).
    JsonNode raw = http.get("/topics/kinds/partitions/0/records?format=binary&limit=3").json().path("records");
    assertEquals("plain text", new String(
        Base64.getDecoder().decode(raw.get(0).path("value").asText()), StandardCharsets.UTF_8));
    assertEquals("1.50", new String(
        Base64.getDecoder().decode(raw.get(2).path("value").asText()), StandardCharsets.UTF_8));
  }

  @Test
  void when_readWithOffsetAndLimit_then_pageAndNextOffset() {
    assertEquals(201, http.post("/topics", "{\"name\": \"paged\", \"partitions\": 2}").status());
    StringBuilder body = new StringBuilder("{\"records\": [");
    for (int i = 0; i < 10; i++) {
      body.append(i == 0 ? "" : ",").append("{\"value\": ").append(i).append(", \"partition\": 1}");
    }
    HttpTestClient.Answer produced = http.post("/topics/paged/records", body.append("]}").toString());
    assertEquals(200, produced.status(), produced.text());
    for (int i = 0; i < 10; i++) {
      assertEquals(1, produced.json().path("offsets").get(i).path("partition").asInt());
      assertEquals(i, produced.json().path("offsets").get(i).path("offset").asLong());
    }

    JsonNode page = http.get("/topics/paged/partitions/1/records?offset=3&limit=4").json();
    assertEquals(4, page.path("records").size());
    for (int i = 0; i < 4; i++) {
      assertEquals(3 + i, page.path("records").get(i).path("offset").asLong());
      assertEquals(3 + i, page.path("records").get(i).path("value").asInt());
    }
    assertEquals(7, page.path("next_offset").asLong());
    assertEquals(10, page.path("high_watermark").asLong());
    JsonNode atEnd = http.get("/topics/paged/partitions/1/records?offset=10").json();
    assertEquals(0, atEnd.path("records").size());
    assertEquals(10, atEnd.path("next_offset").asLong());
    assertEquals(0, http.get("/topics/paged/partitions/0/records").json().path("records").size());
  }

  @Test
  void when_readAtLogEndWithTimeout_then_answeredWithTheRecordAppendedMeanwhile() throws Exception {
    assertEquals(201, http.post("/topics", "{\"name\": \"polled\", \"partitions\": 1}").status());
    java.util.concurrent.CompletableFuture<HttpResponse<String>> waiting = http.raw().sendAsync(
        HttpRequest.newBuilder(http.uri("/topics/polled/partitions/0/records?offset=0&timeout_ms=10000")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    // Usually the read is waiting at the log end when this append lands; if it arrives later it reads the record
    // at once. Either way its answer holds the record, never an empty page.
    assertEquals(200, http.post("/topics/polled/records", "{\"records\": [{\"value\": \"woke\"}]}").status());
    HttpResponse<String> answer = waiting.get(30, TimeUnit.SECONDS);
    assertEquals(200, answer.statusCode(), answer.body());
    JsonNode read = HttpTestClient.JSON.readTree(answer.body());
    assertEquals("woke", read.path("records").get(0).path("value").asText(), answer.body());
  }

  @Test
  void when_recordsTogetherExceedMaxMessageBytes_then_splitIntoBatchesAndAllStored() {
    assertEquals(201, http.post("/topics",
        "{\"name\": \"split\", \"partitions\": 1, \"configs\": {\"max.message.bytes\": \"2000\"}}").status());
    String value = "x".repeat(600);
    StringBuilder body = new StringBuilder("{\"records\": [");
    for (int i = 0; i < 10; i++) {
      body.append(i == 0 ? "" : ",").append("{\"key\": \"k").append(i).append("\", \"value\": \"").append(value)
          .append("\"}");
    }
    HttpTestClient.Answer produced = http.post("/topics/split/records", body.append("]}").toString());
    assertEquals(200, produced.status(), produced.text());
    JsonNode records = http.get("/topics/split/partitions/0/records").json().path("records");
    assertEquals(10, records.size());
    for (int i = 0; i < 10; i++) {
      assertEquals(i, records.get(i).path("offset").asLong());
      assertEquals("k" + i, records.get(i).path("key").asText());
    }
  }

  @Test
  void when_producingToUnknownTopic_then_autoCreatedWithDefaults() {
    HttpTestClient.Answer produced = http.post("/topics/fresh/records", "{\"records\": [{\"value\": \"v\"}]}");
    assertEquals(200, produced.status(), produced.text());
    JsonNode described = http.get("/topics/fresh").json();
    assertEquals(1, described.path("partitions").size());
    assertEquals(1, described.path("partitions").get(0).path("log_end_offset").asLong());
  }

  @Test
  void when_followingNdjsonStream_then_recordsProducedLaterArrive() throws Exception {
    assertEquals(201, http.post("/topics", "{\"name\": \"live\", \"partitions\": 1}").status());
    assertEquals(200, http.post("/topics/live/records", "{\"records\": [{\"value\": \"before\"}]}").status());

    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    ExecutorService reader = Executors.newSingleThreadExecutor();
    HttpRequest request = HttpRequest.newBuilder(http.uri("/topics/live/partitions/0/records?follow=true"))
        .header("Accept", "application/x-ndjson").GET().build();
    HttpResponse<InputStream> response = http.raw().send(request, HttpResponse.BodyHandlers.ofInputStream());
    try {
      assertEquals(200, response.statusCode());
      assertEquals("application/x-ndjson", response.headers().firstValue("Content-Type").orElse(""));
      reader.submit(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
          for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.isBlank()) {
              lines.add(line);
            }
          }
        }
        return null;
      });
      JsonNode first = HttpTestClient.JSON.readTree(lines.poll(30, TimeUnit.SECONDS));
      assertEquals("before", first.path("value").asText());

      for (int i = 0; i < 3; i++) {
        assertEquals(200, http.post("/topics/live/records", "{\"records\": [{\"value\": \"after " + i + "\"}]}")
            .status());
      }
      List<JsonNode> later = new ArrayList<>();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
        for (String line = lines.poll(); line != null; line = lines.poll()) {
          later.add(HttpTestClient.JSON.readTree(line));
        }
        return later.size() >= 3;
      });
      for (int i = 0; i < 3; i++) {
        assertEquals("after " + i, later.get(i).path("value").asText());
        assertEquals(i + 1, later.get(i).path("offset").asLong());
      }
    } finally {
      response.body().close();
      reader.shutdownNow();
    }
  }

  @Test
  void when_followedTopicDeleted_then_streamEndsWithAnErrorLine() throws Exception {
    assertEquals(201, http.post("/topics", "{\"name\": \"doomed\", \"partitions\": 1}").status());
    assertEquals(200, http.post("/topics/doomed/records", "{\"records\": [{\"value\": \"only\"}]}").status());
    HttpRequest request = HttpRequest.newBuilder(http.uri("/topics/doomed/partitions/0/records?follow=true"))
        .header("Accept", "application/x-ndjson").GET().build();
    HttpResponse<java.util.stream.Stream<String>> response =
        http.raw().send(request, HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, response.statusCode());
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      java.util.concurrent.Future<List<String>> all = reader.submit(() -> {
        List<String> lines = new ArrayList<>();
        response.body().filter(line -> !line.isBlank()).forEach(lines::add);
        return lines;
      });
      Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> http.get("/topics/doomed/partitions/0/records").json().path("records").size() == 1);
      assertEquals(200, http.delete("/topics/doomed").status());
      List<String> lines = all.get(60, TimeUnit.SECONDS);
      assertEquals(2, lines.size(), lines.toString());
      assertEquals("only", HttpTestClient.JSON.readTree(lines.get(0)).path("value").asText());
      assertEquals("UNKNOWN_TOPIC_OR_PARTITION", HttpTestClient.JSON.readTree(lines.get(1)).path("error").asText());
    } finally {
      reader.shutdownNow();
    }
  }

  @Test
  void when_ndjsonWithoutFollow_then_streamsToTheEndAndCompletes() throws Exception {
    assertEquals(201, http.post("/topics", "{\"name\": \"dump\", \"partitions\": 1}").status());
    StringBuilder body = new StringBuilder("{\"records\": [");
    for (int i = 0; i < 25; i++) {
      body.append(i == 0 ? "" : ",").append("{\"value\": ").append(i).append("}");
    }
    assertEquals(200, http.post("/topics/dump/records", body.append("]}").toString()).status());

    HttpTestClient.Answer streamed = http.send(HttpRequest.newBuilder(
        http.uri("/topics/dump/partitions/0/records?offset=5&max_bytes=100")).header("Accept", "application/x-ndjson").GET());
    assertEquals(200, streamed.status(), streamed.text());
    String[] lines = streamed.text().split("\n");
    assertEquals(20, lines.length, streamed.text());
    for (int i = 0; i < 20; i++) {
      assertEquals(5 + i, HttpTestClient.JSON.readTree(lines[i]).path("value").asInt(), lines[i]);
    }
  }
}
