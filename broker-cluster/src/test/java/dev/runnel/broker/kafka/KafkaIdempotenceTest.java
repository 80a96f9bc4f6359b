package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Idempotent produce over the wire, forced with a raw socket: a retried batch is stored once and answered with the
 * original offset, a gap in sequence numbers is refused, producer ids are never handed out twice, all of it across
 * a restart of the node.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaIdempotenceTest {

  private static final short PRODUCE_VERSION = 11;

  @Test
  void when_sameBatchIsSentTwice_then_itIsStoredOnceAndAnsweredWithTheOriginalOffset_evenAfterRestart()
      throws Exception {
    Path dataDir = TestNodes.newDataDir();
    long producerId;
    try (RunnelNode node = TestNodes.start(dataDir)) {
      node.broker().createTopic("idempotent", 1, Map.of()).toCompletableFuture().get();
      try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
        producerId = initProducerId(connection);
        assertEquals(0, produce(connection, batch(producerId, 0, "a", "b")).baseOffset());
        assertEquals(2, produce(connection, batch(producerId, 2, "c")).baseOffset());

        PartitionProduceResponse retried = produce(connection, batch(producerId, 0, "a", "b"));
        assertEquals(Errors.NONE.code(), retried.errorCode(), "a duplicate is not an error");
        assertEquals(0, retried.baseOffset(), "a duplicate is answered with the offset it was stored at");

        PartitionProduceResponse gap = produce(connection, batch(producerId, 7, "x"));
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER.code(), gap.errorCode());

        // Pipelined: both requests are written before either answer is read; answers come in request order.
        RequestHeader first = connection.send(request(batch(producerId, 3, "d")));
        RequestHeader second = connection.send(request(batch(producerId, 3, "d")));
        assertEquals(3, partition((ProduceResponse) connection.receive(first)).baseOffset());
        assertEquals(3, partition((ProduceResponse) connection.receive(second)).baseOffset());
      }
      assertEquals(4, logEnd(node), "a, b, c, d: nothing stored twice, nothing out of order");
    }

    try (RunnelNode node = TestNodes.start(dataDir)) {
      await(node);
      try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
        assertEquals(3, produce(connection, batch(producerId, 3, "d")).baseOffset(),
            "the producer's state survived the restart");
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER.code(),
            produce(connection, batch(producerId, 9, "y")).errorCode());
        assertEquals(4, produce(connection, batch(producerId, 4, "e")).baseOffset());
        long afterRestart = initProducerId(connection);
        assertNotEquals(producerId, afterRestart, "producer ids are never handed out twice");
        assertTrue(afterRestart > producerId);
      }
      assertEquals(5, logEnd(node));
    }
  }

  private static void await(RunnelNode node) {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
        .until(() -> node.broker().topic("idempotent").isPresent());
  }

  private static long logEnd(RunnelNode node) throws Exception {
    PartitionId partition = node.broker().partition("idempotent", 0);
    return node.broker().status(partition).toCompletableFuture().get().logEndOffset();
  }

  private static long initProducerId(RawKafkaConnection connection) throws Exception {
    InitProducerIdResponse response = connection.call(new InitProducerIdRequest.Builder(
        new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60_000))
        .build(ApiKeys.INIT_PRODUCER_ID.latestVersion()));
    assertEquals(Errors.NONE.code(), response.data().errorCode());
    assertEquals(0, response.data().producerEpoch());
    return response.data().producerId();
  }

  static MemoryRecords batch(long producerId, int baseSequence, String... values) {
    SimpleRecord[] records = new SimpleRecord[values.length];
    for (int i = 0; i < values.length; i++) {
      records[i] = new SimpleRecord(System.currentTimeMillis(), null, values[i].getBytes(StandardCharsets.UTF_8));
    }
    return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, (short) 0, baseSequence, records);
  }

  static ProduceRequest request(MemoryRecords records) {
    ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
    ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName("idempotent");
    topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records));
    data.topicData().add(topic);
    return new ProduceRequest(data, PRODUCE_VERSION);
  }

  private static PartitionProduceResponse produce(RawKafkaConnection connection, MemoryRecords records)
      throws Exception {
    return partition(connection.call(request(records)));
  }

  private static PartitionProduceResponse partition(ProduceResponse response) {
    return response.data().responses().iterator().next().partitionResponses().get(0);
  }
}
