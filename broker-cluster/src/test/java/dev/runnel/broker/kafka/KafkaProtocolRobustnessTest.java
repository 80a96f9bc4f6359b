package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Broken and hostile input on the Kafka port: each bad connection is closed (or answered with Kafka's error where
 * Kafka answers), while a kafka-clients producer on another connection keeps producing throughout and loses nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaProtocolRobustnessTest {

  private static RunnelNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.kafka.max-request-bytes", "1 MiB"));
    node.broker().createTopic("steady", 2, Map.of()).toCompletableFuture().get();
    node.broker().createTopic("target", 1, Map.of("max.message.bytes", "10000")).toCompletableFuture().get();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void when_connectionsMisbehave_then_eachIsHandledAndOtherClientsAreServedThroughout() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger acked = new AtomicInteger();
    List<Future<RecordMetadata>> sent = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> {
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(),
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
        int i = 0;
        while (running.get()) {
          sent.add(producer.send(new ProducerRecord<>("steady", "k" + i, "v" + i), (metadata, error) -> {
            if (error == null) {
              acked.incrementAndGet();
            }
          }));
          i++;
          if (i % 100 == 0) {
            producer.flush();
          }
        }
        producer.flush();
      }
    });

    await().atMost(Duration.ofSeconds(30)).until(() -> acked.get() > 100);
    Random random = new Random(42);
    byte[] garbage = new byte[64];
    random.nextBytes(garbage);
    assertClosedAfter(ByteBuffer.allocate(4 + garbage.length).putInt(garbage.length).put(garbage).array(),
        "garbage in a frame");
    assertClosedAfter(garbage, "garbage without framing");
    assertClosedAfter(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array(), "a frame claiming 2 GB");
    assertClosedAfter(ByteBuffer.allocate(4).putInt(2 * 1024 * 1024).array(), "a frame over max-request-bytes");
    assertClosedAfter(ByteBuffer.allocate(4).putInt(-5).array(), "a negative frame length");
    assertClosedAfter(frame(ByteBuffer.allocate(12).putShort((short) 999).putShort((short) 0).putInt(1)
        .putShort((short) -1).array()), "an unknown API key");
    assertClosedAfter(frame(ByteBuffer.allocate(12).putShort(ApiKeys.METADATA.id).putShort((short) 99).putInt(1)
        .putShort((short) -1).array()), "a Metadata version beyond any Kafka has");
    assertClosedAfter(frame(ByteBuffer.allocate(14).putShort(ApiKeys.PRODUCE.id).putShort((short) 2).putInt(1)
        .putShort((short) -1).putShort((short) 1).array()), "Produce v2, removed by KIP-896");
    assertClosedAfter(frame(ByteBuffer.allocate(14).putShort(ApiKeys.METADATA.id).putShort((short) 12).putInt(1)
        .putShort((short) 0).put((byte) 0).put((byte) 0x7f).putShort((short) 0x7fff).array()),
        "a Metadata body that does not parse");

    try (RawKafkaConnection truncated = new RawKafkaConnection(node.kafkaPort())) {
      truncated.writeRaw(ByteBuffer.allocate(14).putInt(100).putShort(ApiKeys.METADATA.id).array());
      truncated.shutdownOutput();
      assertTrue(truncated.closedByServer(), "a truncated frame closes the connection");
    }

    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      // KIP-511: an ApiVersions version newer than the server's is answered at v0 with the server's versions.
      ApiVersionsRequest future = new ApiVersionsRequest(new ApiVersionsRequestData()
          .setClientSoftwareName("raw-test").setClientSoftwareVersion("1"), (short) 3);
      RequestHeader header = new RequestHeader(ApiKeys.API_VERSIONS, (short) 3, "raw-test", 7);
      ByteBuffer body = future.serializeWithHeader(header);
      body.putShort(2, (short) 99);
      connection.writeRaw(ByteBuffer.allocate(4 + body.remaining()).putInt(body.remaining()).put(body).array());
      ApiVersionsResponse answer = (ApiVersionsResponse) connection.receive(header);
      assertEquals(Errors.UNSUPPORTED_VERSION.code(), answer.data().errorCode());
      assertTrue(answer.apiVersion(ApiKeys.PRODUCE.id) != null, "the answer still lists the versions");

      ProduceResponse produced = connection.call(produce("target", 0, MemoryRecords.withRecords(Compression.NONE,
          new SimpleRecord(new byte[20_000]))));
      assertEquals(Errors.MESSAGE_TOO_LARGE.code(), partitionError(produced));

      MemoryRecords corrupt = MemoryRecords.withRecords(Compression.NONE,
          new SimpleRecord("fine".getBytes(StandardCharsets.UTF_8)));
      corrupt.buffer().put(corrupt.sizeInBytes() - 1, (byte) 0x55);
      assertEquals(Errors.CORRUPT_MESSAGE.code(), partitionError(connection.call(produce("target", 0, corrupt))));

      MemoryRecords good = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("ok".getBytes()));
      assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(),
          partitionError(connection.call(produce("target", 5, good))));
      assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(),
          partitionError(connection.call(produce("no-such-topic", 0, good))));
      assertEquals(Errors.INVALID_REQUIRED_ACKS.code(), partitionError(connection.call(
          new ProduceRequest(produce("target", 0, good).data().setAcks((short) 2), (short) 11))));

      FetchRequestData fetch = new FetchRequestData().setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1 << 20)
          .setReplicaId(-1);
      fetch.topics().add(new FetchRequestData.FetchTopic().setTopic("target").setPartitions(List.of(
          new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(1_000).setPartitionMaxBytes(1 << 20))));
      FetchResponse fetched = connection.call(new FetchRequest(fetch, (short) 12));
      assertEquals(Errors.OFFSET_OUT_OF_RANGE.code(),
          fetched.data().responses().get(0).partitions().get(0).errorCode());

      MetadataResponse metadata = connection.call(new MetadataRequest(new MetadataRequestData()
          .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName("bad name!")))
          .setAllowAutoTopicCreation(true), (short) 12));
      assertEquals(Errors.INVALID_TOPIC_EXCEPTION.code(), metadata.data().topics().iterator().next().errorCode());
    }

    int afterAbuse = acked.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> acked.get() > afterAbuse + 100);
    running.set(false);
    producing.get(60, TimeUnit.SECONDS);
    for (Future<RecordMetadata> record : sent) {
      record.get(30, TimeUnit.SECONDS);
    }
    long stored = 0;
    for (int p = 0; p < 2; p++) {
      stored += node.broker().status(node.broker().partition("steady", p)).toCompletableFuture().get().logEndOffset();
    }
    assertEquals(sent.size(), stored, "every record the producer sent meanwhile is stored once");
  }

  private static ProduceRequest produce(String topic, int partition, MemoryRecords records) {
    ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(30_000);
    ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData().setName(topic);
    topicData.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(partition)
        .setRecords(records));
    data.topicData().add(topicData);
    return new ProduceRequest(data, (short) 11);
  }

  private static short partitionError(ProduceResponse response) {
    return response.data().responses().iterator().next().partitionResponses().get(0).errorCode();
  }

  private static byte[] frame(byte[] body) {
    return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
  }

  private static void assertClosedAfter(byte[] bytes, String what) throws Exception {
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      connection.writeRaw(bytes);
      assertTrue(connection.closedByServer(), what + " closes the connection");
    }
  }
}
