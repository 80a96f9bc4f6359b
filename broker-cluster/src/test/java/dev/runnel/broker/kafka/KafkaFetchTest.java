package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Fetch's limits as Kafka defines them: max_bytes, per-partition max bytes, min_bytes with max_wait_ms. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KafkaFetchTest {

  private static final short VERSION = 12;
  private static final int BATCH_VALUE_BYTES = 1000;
  private static RunnelNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir());
    node.broker().createTopic("limits", 2, Map.of()).toCompletableFuture().get();
    node.broker().createTopic("quiet", 1, Map.of()).toCompletableFuture().get();
    for (int p = 0; p < 2; p++) {
      for (int b = 0; b < 5; b++) {
        node.broker().append(node.broker().partition("limits", p), MemoryRecords.withRecords(Compression.NONE,
            new SimpleRecord(new byte[BATCH_VALUE_BYTES])).buffer(), (short) 1).toCompletableFuture().get();
      }
    }
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void when_partitionMaxBytesIsSmall_then_eachPartitionGetsOneWholeBatch() throws Exception {
    FetchResponseData response = fetch("limits", 1 << 20, 10, 0, 1);
    for (FetchResponseData.PartitionData partition : response.responses().get(0).partitions()) {
      assertEquals(Errors.NONE.code(), partition.errorCode());
      assertEquals(1, batches(partition), "a batch larger than the limit still comes, alone");
      assertEquals(5, partition.highWatermark());
    }
  }

  @Test
  void when_responseMaxBytesIsSmall_then_onlyTheFirstBatchIsSent() throws Exception {
    FetchResponseData response = fetch("limits", 10, 1 << 20, 0, 1);
    List<FetchResponseData.PartitionData> partitions = response.responses().get(0).partitions();
    assertEquals(1, batches(partitions.get(0)), "the first batch goes out whatever max_bytes says");
    assertEquals(0, batches(partitions.get(1)), "nothing after it beyond max_bytes");
  }

  @Test
  void when_noDataArrives_then_fetchWaitsMaxWaitAndAnswersEmpty() throws Exception {
    long start = System.nanoTime();
    FetchResponseData response = fetch("quiet", 1 << 20, 1 << 20, 400, 1);
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(0, batches(response.responses().get(0).partitions().get(0)));
    assertTrue(waitedMs >= 350, "waited " + waitedMs + " ms for min_bytes");
  }

  @Test
  void when_minBytesIsAlreadyThere_then_fetchAnswersAtOnceWithEverything() throws Exception {
    FetchResponseData response = fetch("limits", 1 << 20, 1 << 20, 20_000, 1);
    for (FetchResponseData.PartitionData partition : response.responses().get(0).partitions()) {
      assertEquals(5, batches(partition));
    }
  }

  @Test
  void when_consumerReadsCommitted_then_itIsServedLikeAnyOther() throws Exception {
    FetchRequestData.FetchTopic topic = new FetchRequestData.FetchTopic().setTopic("limits");
    topic.partitions().add(new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
        .setPartitionMaxBytes(1 << 20));
    FetchRequestData data = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1)
        .setMaxBytes(1 << 20).setIsolationLevel((byte) 1).setTopics(List.of(topic));
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      FetchResponse response = connection.call(new FetchRequest(data, VERSION));
      FetchResponseData.PartitionData partition = response.data().responses().get(0).partitions().get(0);
      assertEquals(5, batches(partition), "no transactions here: everything is committed");
      assertEquals(partition.highWatermark(), partition.lastStableOffset());
      assertEquals(List.of(), partition.abortedTransactions());
    }
  }

  private static int batches(FetchResponseData.PartitionData partition) {
    List<RecordBatch> batches = new ArrayList<>();
    ((MemoryRecords) partition.records()).batches().forEach(batches::add);
    return batches.size();
  }

  private static FetchResponseData fetch(String topic, int maxBytes, int partitionMaxBytes, int maxWaitMs,
      int minBytes) throws Exception {
    FetchRequestData.FetchTopic fetchTopic = new FetchRequestData.FetchTopic().setTopic(topic);
    int partitions = node.broker().topic(topic).orElseThrow().partitions();
    for (int p = 0; p < partitions; p++) {
      fetchTopic.partitions().add(new FetchRequestData.FetchPartition().setPartition(p).setFetchOffset(0)
          .setPartitionMaxBytes(partitionMaxBytes));
    }
    FetchRequestData data = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(maxWaitMs).setMinBytes(minBytes)
        .setMaxBytes(maxBytes).setTopics(List.of(fetchTopic));
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      FetchResponse response = connection.call(new FetchRequest(data, VERSION));
      return response.data();
    }
  }
}
