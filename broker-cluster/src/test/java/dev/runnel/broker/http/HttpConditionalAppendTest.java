package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Conditional appends and key reads over HTTP: what a 200 and a 409 carry, and that a 409 stores nothing. */
@Timeout(120)
class HttpConditionalAppendTest {

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

  private static void create(String topic) {
    assertEquals(201, http.post("/topics", "{\"name\": \"" + topic + "\", \"partitions\": 2}").status());
  }

  private static long logEnd(String topic, int partition) {
    HttpTestClient.Answer described = http.get("/topics/" + topic);
    assertEquals(200, described.status(), described.text());
    return described.json().path("partitions").get(partition).path("log_end_offset").asLong(-1);
  }

  private static HttpTestClient.Answer append(String topic, String body) {
    return http.post("/topics/" + topic + "/partitions/1/records", body);
  }

  @Test
  void when_theExpectedEndOffsetHolds_then_200WithOffsets_else_409WithTheCurrentEndAndNothingStored() {
    create("ledger");
    HttpTestClient.Answer first = append("ledger",
        "{\"expected_end_offset\": 0, \"records\": [{\"value\": \"a\"}, {\"value\": \"b\"}]}");
    assertEquals(200, first.status(), first.text());
    assertEquals(1, first.json().path("offsets").get(1).path("partition").asInt(), "the partition of the path");
    assertEquals(1, first.json().path("offsets").get(1).path("offset").asLong(-1));

    HttpTestClient.Answer stale = append("ledger",
        "{\"expected_end_offset\": 0, \"records\": [{\"value\": \"c\"}]}");

    assertEquals(409, stale.status(), stale.text());
    assertEquals("CONDITION_NOT_MET", stale.json().path("error").asText());
    assertEquals(1000, stale.json().path("code").asInt());
    assertEquals(2, stale.json().path("current_end_offset").asLong(-1));
    assertFalse(stale.json().has("current_version"), "no keyed condition, no version: " + stale.text());
    assertTrue(stale.json().path("message").asText().contains("end offset is 2"), stale.text());
    assertEquals(2, logEnd("ledger", 1), "the refused append stored nothing");
    assertEquals(0, logEnd("ledger", 0), "and went to no other partition");

    assertEquals(200, append("ledger", "{\"expected_end_offset\": 2, \"records\": [{\"value\": \"c\"}]}").status());
    assertEquals(3, logEnd("ledger", 1));
  }

  @Test
  void when_aStreamsExpectedVersionHolds_then_itIsAppended_else_409WithTheCurrentVersionAndKeyOffset() {
    create("accounts");
    String open = "{\"expected_version\": 0, \"records\": [{\"key\": \"acc-1\", \"value\": {\"type\": \"Opened\"}}]}";
    assertEquals(200, append("accounts", open).status());
    assertEquals(200, append("accounts", "{\"records\": [{\"key\": \"acc-2\", \"value\": \"other\"}]}").status());

    HttpTestClient.Answer again = append("accounts", open);

    assertEquals(409, again.status(), again.text());
    assertEquals(1, again.json().path("current_version").asLong(-1));
    assertEquals(0, again.json().path("current_key_offset").asLong(-2));
    assertEquals(2, again.json().path("current_end_offset").asLong(-1));
    HttpTestClient.Answer deposit = append("accounts", "{\"expected_version\": 1, \"expected_key_offset\": 0, "
        + "\"records\": [{\"key\": \"acc-1\", \"value\": {\"type\": \"Deposited\", \"amount\": 5}}, "
        + "{\"key\": \"acc-1\", \"value\": {\"type\": \"Deposited\", \"amount\": 7}}]}");
    assertEquals(200, deposit.status(), deposit.text());

    HttpTestClient.Answer read = http.get("/topics/accounts/partitions/1/records?key=acc-1");

    assertEquals(200, read.status(), read.text());
    JsonNode records = read.json().path("records");
    List<String> types = new ArrayList<>();
    records.forEach(record -> types.add(record.path("value").path("type").asText()));
    assertEquals(List.of("Opened", "Deposited", "Deposited"), types);
    assertEquals(List.of(0L, 2L, 3L), List.of(records.get(0).path("offset").asLong(), records.get(1).path("offset")
        .asLong(), records.get(2).path("offset").asLong()));
    assertEquals(3, read.json().path("version").asLong(-1));
    assertTrue(read.json().path("end_of_key").asBoolean(false));
    assertEquals(4, read.json().path("next_offset").asLong(-1));
    HttpTestClient.Answer later = http.get("/topics/accounts/partitions/1/records?key=acc-1&offset=3");
    assertEquals(1, later.json().path("records").size(), later.text());
  }

  @Test
  void when_aConditionIsMalformed_then_400AndNothingStored() {
    create("strict");
    HttpTestClient.Answer mixed = append("strict", "{\"expected_version\": 0, \"records\": "
        + "[{\"key\": \"a\", \"value\": \"1\"}, {\"key\": \"b\", \"value\": \"2\"}]}");
    assertEquals(400, mixed.status(), mixed.text());
    assertEquals("INVALID_REQUEST", mixed.error());
    HttpTestClient.Answer negative = append("strict", "{\"expected_end_offset\": -3, \"records\": [{\"value\": \"1\"}]}");
    assertEquals(400, negative.status(), negative.text());
    HttpTestClient.Answer text = append("strict", "{\"expected_version\": \"one\", \"records\": [{\"key\": \"a\"}]}");
    assertEquals(400, text.status(), text.text());
    HttpTestClient.Answer elsewhere = append("strict",
        "{\"expected_end_offset\": 0, \"records\": [{\"partition\": 0, \"value\": \"1\"}]}");
    assertEquals(400, elsewhere.status(), elsewhere.text());
    assertEquals(0, logEnd("strict", 0));
    assertEquals(0, logEnd("strict", 1));
  }
}
