package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** DeleteRecords over HTTP, and each partition's log start, end and size in the topic description. */
@Timeout(120)
class HttpRecordDeletionTest {

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

  private static void produce(String topic, int records) {
    for (int i = 0; i < records; i++) {
      HttpTestClient.Answer answer = http.post("/topics/" + topic + "/records",
          "{\"records\": [{\"partition\": 0, \"key\": \"k\", \"value\": \"v" + i + "\"}]}");
      assertEquals(200, answer.status(), answer.text());
    }
  }

  private static JsonNode partition0(String topic) {
    HttpTestClient.Answer described = http.get("/topics/" + topic);
    assertEquals(200, described.status(), described.text());
    return described.json().path("partitions").get(0);
  }

  @Test
  void when_recordsDeletedBeforeAnOffset_then_theDescriptionShowsTheNewLogStartAndSmallerSize() {
    assertEquals(201, http.post("/topics", "{\"name\": \"trimmed\", \"partitions\": 1}").status());
    produce("trimmed", 10);
    JsonNode before = partition0("trimmed");
    assertEquals(0, before.path("log_start_offset").asLong(-1));
    assertEquals(10, before.path("log_end_offset").asLong(-1));
    long sizeBefore = before.path("size_in_bytes").asLong();

    HttpTestClient.Answer deleted = http.delete("/topics/trimmed/partitions/0/records?before=4");

    assertEquals(200, deleted.status(), deleted.text());
    assertEquals(4, deleted.json().path("log_start_offset").asLong(-1));
    JsonNode after = partition0("trimmed");
    assertEquals(4, after.path("log_start_offset").asLong(-1));
    assertEquals(10, after.path("log_end_offset").asLong(-1));
    assertEquals(sizeBefore * 6 / 10, after.path("size_in_bytes").asLong(), "four one-record batches of ten are gone");
    HttpTestClient.Answer read = http.get("/topics/trimmed/partitions/0/records?offset=2");
    assertEquals("OFFSET_OUT_OF_RANGE", read.error(), read.text());

    HttpTestClient.Answer all = http.delete("/topics/trimmed/partitions/0/records?before=-1");
    assertEquals(10, all.json().path("log_start_offset").asLong(), "-1 deletes up to the high watermark");
    assertEquals(0, partition0("trimmed").path("size_in_bytes").asLong(-1));
  }

  @Test
  void when_deletionIsMalformedOrNotAllowed_then_aKafkaErrorAndNothingChanges() {
    assertEquals(201, http.post("/topics", "{\"name\": \"guarded\", \"partitions\": 1}").status());
    assertEquals(201, http.post("/topics",
        "{\"name\": \"table\", \"partitions\": 1, \"configs\": {\"cleanup.policy\": \"compact\"}}").status());
    produce("guarded", 3);
    produce("table", 3);

    HttpTestClient.Answer missing = http.delete("/topics/guarded/partitions/0/records");
    assertEquals(400, missing.status());
    assertEquals("INVALID_REQUEST", missing.error());
    HttpTestClient.Answer notANumber = http.delete("/topics/guarded/partitions/0/records?before=soon");
    assertEquals(400, notANumber.status());
    assertEquals("INVALID_REQUEST", notANumber.error());
    HttpTestClient.Answer negative = http.delete("/topics/guarded/partitions/0/records?before=-5");
    assertEquals(400, negative.status());
    HttpTestClient.Answer beyond = http.delete("/topics/guarded/partitions/0/records?before=4");
    assertEquals(416, beyond.status(), beyond.text());
    assertEquals("OFFSET_OUT_OF_RANGE", beyond.error());
    HttpTestClient.Answer noPartition = http.delete("/topics/guarded/partitions/7/records?before=1");
    assertEquals(404, noPartition.status());
    assertEquals("UNKNOWN_TOPIC_OR_PARTITION", noPartition.error());
    HttpTestClient.Answer compacted = http.delete("/topics/table/partitions/0/records?before=1");
    assertEquals(400, compacted.status(), compacted.text());
    assertEquals("POLICY_VIOLATION", compacted.error());

    assertEquals(0, partition0("guarded").path("log_start_offset").asLong(-1));
    assertEquals(0, partition0("table").path("log_start_offset").asLong(-1));
  }
}
