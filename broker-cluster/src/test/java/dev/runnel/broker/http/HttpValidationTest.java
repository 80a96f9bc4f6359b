package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.BatchValidator;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HTTP builds its own batches, so no client can send it malformed bytes; they still pass the same validator as every
 * other door's, which these tests show both ways: what it builds passes, and what the topic's rules refuse comes
 * back as Kafka's error in JSON with a 4xx.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpValidationTest {

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
  void when_httpBuildsBatches_then_theyPassTheValidatorWhateverTheRecords() {
    long now = System.currentTimeMillis();
    TopicConfig defaults = node.broker().topicConfig("no-such-topic-so-defaults");
    BatchValidator.Rules rules = BatchValidator.Rules.of(defaults, 1 << 20);
    List<ProduceRequest.Record> records = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      byte[] key = i % 4 == 0 ? null : ("key-" + i).getBytes(StandardCharsets.UTF_8);
      byte[] value = i % 9 == 0 ? null : "v".repeat(i * 7).getBytes(StandardCharsets.UTF_8);
      Header[] headers = i % 2 == 0 ? new Header[0]
          : new Header[] {new RecordHeader("h-" + i, i % 3 == 0 ? null : new byte[] {(byte) i})};
      records.add(new ProduceRequest.Record(key, value, headers, null, i % 5 == 0 ? null : now - i));
    }
    // A small max.message.bytes splits the records over many batches in one append.
    ByteBuffer batches = RecordProducer.batches(records, 16_384, now);
    BatchValidator.Summary summary = BatchValidator.validate(batches, rules, now);
    assertEquals(500, summary.records());
    assertEquals(true, summary.batches() > 1, "split into " + summary.batches() + " batches");
  }

  @Test
  void when_aRecordBreaksTheTopicsTimestampRule_then_itIsA400WithInvalidTimestampAndNothingIsStored()
      throws Exception {
    assertEquals(201, http.post("/topics", "{\"name\": \"dated\", \"partitions\": 1}").status());
    long twoHoursAhead = System.currentTimeMillis() + 7_200_000L;
    HttpTestClient.Answer refused = http.post("/topics/dated/records",
        "{\"records\": [{\"value\": \"now\"}, {\"value\": \"later\", \"timestamp\": " + twoHoursAhead + "}]}");
    assertEquals(400, refused.status(), refused.text());
    assertEquals("INVALID_TIMESTAMP", refused.error(), refused.text());
    assertEquals(0, node.broker().status(node.broker().partition("dated", 0)).toCompletableFuture()
        .get(30, TimeUnit.SECONDS).logEndOffset(), "neither record of the refused append is stored");
  }

  @Test
  void when_aCompactedTopicGetsAKeylessRecordOverHttp_then_itIsA400WithInvalidRecord() {
    assertEquals(201, http.post("/topics", HttpTestClient.json(Map.of("name", "latest", "partitions", 1,
        "configs", Map.of("cleanup.policy", "compact")))).status());
    HttpTestClient.Answer refused = http.post("/topics/latest/records", "{\"records\": [{\"value\": \"keyless\"}]}");
    assertEquals(400, refused.status(), refused.text());
    assertEquals("INVALID_RECORD", refused.error(), refused.text());
  }
}
