package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Produce's acks and per-partition answers, over a raw connection. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KafkaProduceTest {

  private static RunnelNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir());
    node.broker().createTopic("multi", 3, Map.of()).toCompletableFuture().get();
    node.broker().createTopic("fire-and-forget", 1, Map.of()).toCompletableFuture().get();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void when_acksIsZero_then_noResponseIsSentAndTheRecordsAreStored() throws Exception {
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      ProduceRequestData data = new ProduceRequestData().setAcks((short) 0).setTimeoutMs(10_000);
      data.topicData().add(topic("fire-and-forget", 0, "a", "b", "c"));
      connection.send(new ProduceRequest(data, (short) 11));
      RequestHeader next = connection.send(new ApiVersionsRequest(new ApiVersionsRequestData(), (short) 0));
      AbstractResponse response = connection.receive(next);
      // The frame after an acks=0 Produce is the next request's answer: nothing was written for the Produce.
      assertEquals(ApiVersionsResponse.class, response.getClass());
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> node.broker().status(
        node.broker().partition("fire-and-forget", 0)).toCompletableFuture().get().logEndOffset() == 3);
  }

  @Test
  void when_oneRequestCarriesManyPartitions_then_eachIsAnsweredOnItsOwn() throws Exception {
    ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000);
    ProduceRequestData.TopicProduceData multi = topic("multi", 0, "p0");
    multi.partitionData().add(partition(2, "p2-a", "p2-b"));
    multi.partitionData().add(partition(7, "nowhere"));
    data.topicData().add(multi);
    data.topicData().add(topic("missing-topic", 0, "x"));
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      ProduceResponse response = connection.call(new ProduceRequest(data, (short) 11));
      Map<String, Short> errors = new HashMap<>();
      for (ProduceResponseData.TopicProduceResponse topic : response.data().responses()) {
        for (ProduceResponseData.PartitionProduceResponse partition : topic.partitionResponses()) {
          errors.put(topic.name() + "-" + partition.index(), partition.errorCode());
        }
      }
      assertEquals(Map.of(
          "multi-0", Errors.NONE.code(),
          "multi-2", Errors.NONE.code(),
          "multi-7", Errors.UNKNOWN_TOPIC_OR_PARTITION.code(),
          "missing-topic-0", Errors.UNKNOWN_TOPIC_OR_PARTITION.code()), errors);
    }
    assertEquals(2, node.broker().status(node.broker().partition("multi", 2)).toCompletableFuture().get()
        .logEndOffset());
  }

  private static ProduceRequestData.TopicProduceData topic(String name, int partition, String... values) {
    ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName(name);
    topic.partitionData().add(partition(partition, values));
    return topic;
  }

  private static ProduceRequestData.PartitionProduceData partition(int index, String... values) {
    SimpleRecord[] records = new SimpleRecord[values.length];
    for (int i = 0; i < values.length; i++) {
      records[i] = new SimpleRecord(values[i].getBytes(StandardCharsets.UTF_8));
    }
    return new ProduceRequestData.PartitionProduceData().setIndex(index)
        .setRecords(MemoryRecords.withRecords(Compression.gzip().build(), records));
  }
}
