package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code GET /topics/{t}/partitions/{p}/offsets?timestamp=MS}: where a read from a point in time starts. */
@Timeout(120)
class HttpOffsetForTimestampTest {

  private static RunnelNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    http = new HttpTestClient(node.httpPort());
    assertEquals(201, http.post("/topics", "{\"name\": \"timed\", \"partitions\": 2}").status());
    HttpTestClient.Answer produced = http.post("/topics/timed/records", "{\"records\": ["
        + "{\"partition\": 0, \"value\": \"a\", \"timestamp\": 1000},"
        + "{\"partition\": 0, \"value\": \"b\", \"timestamp\": 2000},"
        + "{\"partition\": 0, \"value\": \"c\", \"timestamp\": 3000}]}");
    assertEquals(200, produced.status(), produced.text());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static long offsetAt(int partition, long timestamp) {
    HttpTestClient.Answer answer = http.get("/topics/timed/partitions/" + partition + "/offsets?timestamp=" + timestamp);
    assertEquals(200, answer.status(), answer.text());
    assertEquals(partition, answer.json().path("partition").asInt(-1), answer.text());
    assertEquals(timestamp, answer.json().path("timestamp").asLong(-1), answer.text());
    return answer.json().path("offset").asLong(-100);
  }

  @Test
  void when_aTimestampIsGiven_then_theFirstOffsetAtOrAfterItOrTheLogEnd() {
    assertEquals(0, offsetAt(0, 0), "before every record: the first one");
    assertEquals(0, offsetAt(0, 1000), "a record's own timestamp: that record");
    assertEquals(1, offsetAt(0, 1500), "between two records: the later one");
    assertEquals(2, offsetAt(0, 3000));
    assertEquals(3, offsetAt(0, 3001), "after the newest record: the log end");
    assertEquals(0, offsetAt(1, 1000), "an empty partition: its log end, 0");
  }

  @Test
  void when_theLookupIsMalformedOrNamesNothing_then_kafkaErrors() {
    HttpTestClient.Answer missing = http.get("/topics/timed/partitions/0/offsets");
    assertEquals(400, missing.status(), missing.text());
    assertEquals("INVALID_REQUEST", missing.error());
    assertEquals("INVALID_REQUEST", http.get("/topics/timed/partitions/0/offsets?timestamp=soon").error());
    assertEquals("INVALID_REQUEST", http.get("/topics/timed/partitions/0/offsets?timestamp=-1").error());
    HttpTestClient.Answer noTopic = http.get("/topics/nothing-here/partitions/0/offsets?timestamp=0");
    assertEquals(404, noTopic.status(), noTopic.text());
    assertEquals("UNKNOWN_TOPIC_OR_PARTITION", noTopic.error());
    assertEquals("UNKNOWN_TOPIC_OR_PARTITION", http.get("/topics/timed/partitions/7/offsets?timestamp=0").error());
  }
}
