package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Consumer groups over HTTP: list, describe with members, assignment, offsets and lag; reset; delete; bad input. */
@Timeout(120)
class HttpGroupsTest {

  private static RunnelNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.group.initial-rebalance-delay", "0 s"));
    http = new HttpTestClient(node.httpPort());
    assertEquals(201, http.post("/topics", "{\"name\": \"clicks\", \"partitions\": 2}").status());
    StringBuilder records = new StringBuilder("{\"records\": [");
    for (int i = 0; i < 10; i++) {
      records.append(i == 0 ? "" : ",").append("{\"partition\": ").append(i % 2).append(", \"value\": \"v")
          .append(i).append("\"}");
    }
    HttpTestClient.Answer produced = http.post("/topics/clicks/records", records.append("]}").toString());
    assertEquals(200, produced.status(), produced.text());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static KafkaConsumer<String, String> consumer(String group) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "reader");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config);
    consumer.subscribe(List.of("clicks"));
    int read = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (read < 6 && System.nanoTime() < deadline) {
      // Stop after six records: the group is behind by four.
      read += consumer.poll(Duration.ofMillis(200)).count();
    }
    return consumer;
  }

  @Test
  void when_groupConsumes_then_httpShowsMembersAssignmentOffsetsAndLag() {
    try (KafkaConsumer<String, String> consumer = consumer("dashboard")) {
      consumer.commitSync(Map.of(
          new TopicPartition("clicks", 0), new OffsetAndMetadata(3),
          new TopicPartition("clicks", 1), new OffsetAndMetadata(5)));
      JsonNode list = http.get("/groups").json();
      JsonNode summary = null;
      for (JsonNode group : list) {
        if (group.path("group_id").asText().equals("dashboard")) {
          summary = group;
        }
      }
      assertTrue(summary != null, "listed: " + list);
      assertEquals("Stable", summary.path("state").asText());
      assertEquals(1, summary.path("members").asInt());

      HttpTestClient.Answer described = http.get("/groups/dashboard");
      assertEquals(200, described.status(), described.text());
      JsonNode group = described.json();
      assertEquals("consumer", group.path("protocol_type").asText());
      assertEquals("range", group.path("protocol").asText());
      JsonNode member = group.path("members").get(0);
      assertEquals("reader", member.path("client_id").asText());
      assertEquals(2, member.path("assignment").size());
      JsonNode p0 = group.path("partitions").get(0);
      assertEquals(0, p0.path("partition").asInt());
      assertEquals(3, p0.path("committed_offset").asLong());
      assertEquals(5, p0.path("log_end_offset").asLong());
      assertEquals(2, p0.path("lag").asLong());
      assertEquals(member.path("member_id").asText(), p0.path("member_id").asText());
      assertEquals(0, group.path("partitions").get(1).path("lag").asLong());

      HttpTestClient.Answer refused =
          http.post("/groups/dashboard/offsets/reset", "{\"topic\": \"clicks\", \"to\": \"earliest\"}");
      assertEquals(409, refused.status(), refused.text());
      assertEquals("NON_EMPTY_GROUP", refused.json().path("error").asText());
      HttpTestClient.Answer notEmpty = http.delete("/groups/dashboard");
      assertEquals(409, notEmpty.status(), notEmpty.text());
    }

    HttpTestClient.Answer reset =
        http.post("/groups/dashboard/offsets/reset", "{\"topic\": \"clicks\", \"to\": \"earliest\"}");
    assertEquals(200, reset.status(), reset.text());
    assertEquals(0, reset.json().get(0).path("committed_offset").asLong());
    assertEquals(5, reset.json().get(0).path("lag").asLong());
    HttpTestClient.Answer toOffset =
        http.post("/groups/dashboard/offsets/reset", "{\"topic\": \"clicks\", \"to\": \"offset\", \"offset\": 4}");
    assertEquals(4, toOffset.json().get(1).path("committed_offset").asLong());
    HttpTestClient.Answer latest =
        http.post("/groups/dashboard/offsets/reset", "{\"topic\": \"clicks\", \"to\": \"latest\"}");
    assertEquals(0, latest.json().get(1).path("lag").asLong());
    assertEquals("Empty", http.get("/groups/dashboard").json().path("state").asText());

    assertEquals(200, http.delete("/groups/dashboard").status());
    assertEquals(404, http.get("/groups/dashboard").status());
  }

  /** Kafka allows any characters in a group id, '|' too, which Pekko's PersistenceId.of reserves (found by fuzzing). */
  @Test
  void when_groupIdHasReservedCharacters_then_itCommitsAndIsDescribed() {
    try (KafkaConsumer<String, String> consumer = consumer("a|b c")) {
      consumer.commitSync(Map.of(new TopicPartition("clicks", 0), new OffsetAndMetadata(2)));
    }
    HttpTestClient.Answer described = http.get("/groups/a%7Cb%20c");
    assertEquals(200, described.status(), described.text());
    assertEquals(2, described.json().path("partitions").get(0).path("committed_offset").asLong());
  }

  @Test
  void when_requestIsWrong_then_clearErrorsAndNothingChanges() {
    HttpTestClient.Answer missing = http.get("/groups/nobody");
    assertEquals(404, missing.status(), missing.text());
    assertEquals("GROUP_ID_NOT_FOUND", missing.json().path("error").asText());
    assertEquals(404, http.delete("/groups/nobody").status());

    HttpTestClient.Answer badTarget =
        http.post("/groups/g/offsets/reset", "{\"topic\": \"clicks\", \"to\": \"yesterday\"}");
    assertEquals(400, badTarget.status(), badTarget.text());
    assertEquals("INVALID_REQUEST", badTarget.json().path("error").asText());
    assertEquals(400, http.post("/groups/g/offsets/reset", "{\"topic\": \"clicks\", \"to\": \"offset\"}").status(),
        "an offset reset needs the offset");
    assertEquals(400, http.post("/groups/g/offsets/reset", "{\"to\": \"latest\"}").status());
    assertEquals(400, http.post("/groups/g/offsets/reset", "{\"topic\": \"clicks\", \"to\": \"latest\", \"x\": 1}")
        .status(), "unknown fields are refused");
    HttpTestClient.Answer unknownTopic =
        http.post("/groups/g/offsets/reset", "{\"topic\": \"nope\", \"to\": \"latest\"}");
    assertEquals(404, unknownTopic.status(), unknownTopic.text());
    assertEquals(404, http.get("/groups/g").status(), "refused resets created no group");
  }
}
