package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.TransactionResult;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The partition side of transactions through the Kafka port, before any coordinator: transactional batches
 * produced raw (kafka-clients' record builder, a producer id from InitProducerId), ended with Kafka's
 * WriteTxnMarkers as a coordinator sends them, and read by kafka-clients' own consumers and admin. A transaction
 * over 3 partitions of 2 topics is committed, one aborted, one left open: read_committed sees the committed one
 * only, and the open one once it commits; read_uncommitted sees all; the LSO stays below the high watermark while a
 * transaction is open.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaTransactionalLogTest {

  private static final short PRODUCE_VERSION = 11;
  private static final short EPOCH = 0;
  private static final List<TopicPartition> PARTITIONS = List.of(
      new TopicPartition("txn-orders", 0), new TopicPartition("txn-orders", 1), new TopicPartition("txn-audit", 0));

  @Test
  void when_transactionsCommitAbortAndStayOpen_then_consumersSeeWhatTheirIsolationLevelAllows() throws Exception {
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir())) {
      node.broker().createTopic("txn-orders", 2, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      node.broker().createTopic("txn-audit", 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      String bootstrap = "127.0.0.1:" + node.kafkaPort();
      try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort());
           Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        long producerId = initProducerId(connection);
        Map<TopicPartition, Integer> sequences = new HashMap<>();
        produceToAll(connection, producerId, sequences, "committed");
        assertMarkers(connection, producerId, TransactionResult.COMMIT, Errors.NONE);
        produceToAll(connection, producerId, sequences, "aborted");
        assertMarkers(connection, producerId, TransactionResult.ABORT, Errors.NONE);
        Map<TopicPartition, Long> openAt = produceToAll(connection, producerId, sequences, "open");
        for (TopicPartition partition : PARTITIONS) {
          assertEquals(Errors.NONE.code(), produce(connection, partition, plainBatch(partition + "-after")).errorCode());
        }

        Map<TopicPartition, Long> highWatermarks = latest(admin, IsolationLevel.READ_UNCOMMITTED);
        Map<TopicPartition, Long> stable = latest(admin, IsolationLevel.READ_COMMITTED);
        for (TopicPartition partition : PARTITIONS) {
          // Two committed records and their marker, two aborted and theirs, two open, one plain after them.
          assertEquals(9, highWatermarks.get(partition), partition + " high watermark");
          assertEquals(openAt.get(partition), stable.get(partition), partition + " LSO: the open transaction's start");
          assertTrue(stable.get(partition) < highWatermarks.get(partition));
        }

        try (KafkaConsumer<String, String> committed = consumer(bootstrap, IsolationLevel.READ_COMMITTED);
             KafkaConsumer<String, String> uncommitted = consumer(bootstrap, IsolationLevel.READ_UNCOMMITTED)) {
          assertEquals(expected("committed"), readUpTo(committed, stable));
          assertEquals(positions(stable), positions(committed), "read_committed stops at the LSO");
          Map<TopicPartition, List<String>> all = readUpTo(uncommitted, highWatermarks);
          for (TopicPartition partition : PARTITIONS) {
            assertEquals(List.of(partition + "-committed-0", partition + "-committed-1", partition + "-aborted-0",
                partition + "-aborted-1", partition + "-open-0", partition + "-open-1", partition + "-after"),
                all.get(partition), "read_uncommitted sees every record, no marker");
          }

          // Nothing below the open transaction is visible yet however long the consumer polls.
          assertTrue(committed.poll(Duration.ofMillis(500)).isEmpty());
          assertMarkers(connection, producerId, TransactionResult.COMMIT, Errors.NONE);
          Map<TopicPartition, Long> ends = latest(admin, IsolationLevel.READ_COMMITTED);
          assertEquals(latest(admin, IsolationLevel.READ_UNCOMMITTED), ends, "nothing open: LSO = high watermark");
          Map<TopicPartition, List<String>> rest = readUpTo(committed, ends);
          for (TopicPartition partition : PARTITIONS) {
            assertEquals(List.of(partition + "-open-0", partition + "-open-1", partition + "-after"),
                rest.get(partition), "the committed transaction and what followed it");
          }
        }

        // The old epoch fenced by a marker of a newer one: its data and its markers are refused.
        assertMarkers(connection, producerId, TransactionResult.ABORT, Errors.NONE, (short) 1);
        assertEquals(Errors.INVALID_PRODUCER_EPOCH.code(), produce(connection, PARTITIONS.get(0),
            transactionalBatch(producerId, EPOCH, sequences.get(PARTITIONS.get(0)), "zombie")).errorCode());
        assertMarkers(connection, producerId, TransactionResult.COMMIT, Errors.INVALID_PRODUCER_EPOCH);
      }
    }
  }

  private static Map<TopicPartition, List<String>> expected(String transaction) {
    Map<TopicPartition, List<String>> expected = new HashMap<>();
    for (TopicPartition partition : PARTITIONS) {
      expected.put(partition, List.of(partition + "-" + transaction + "-0", partition + "-" + transaction + "-1"));
    }
    return expected;
  }

  private static long initProducerId(RawKafkaConnection connection) throws Exception {
    InitProducerIdResponse response = connection.call(new InitProducerIdRequest.Builder(
        new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60_000))
        .build(ApiKeys.INIT_PRODUCER_ID.latestVersion()));
    assertEquals(Errors.NONE.code(), response.data().errorCode());
    return response.data().producerId();
  }

  /** One transactional batch of two records to every partition; answers where each landed. */
  private static Map<TopicPartition, Long> produceToAll(RawKafkaConnection connection, long producerId,
      Map<TopicPartition, Integer> sequences, String transaction) throws Exception {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    for (TopicPartition partition : PARTITIONS) {
      int sequence = sequences.getOrDefault(partition, 0);
      PartitionProduceResponse response = produce(connection, partition, transactionalBatch(producerId, EPOCH,
          sequence, partition + "-" + transaction + "-0", partition + "-" + transaction + "-1"));
      assertEquals(Errors.NONE.code(), response.errorCode(), partition + " " + transaction);
      sequences.put(partition, sequence + 2);
      offsets.put(partition, response.baseOffset());
    }
    return offsets;
  }

  private static MemoryRecords transactionalBatch(long producerId, short epoch, int sequence, String... values) {
    return MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, sequence, records(values));
  }

  private static MemoryRecords plainBatch(String value) {
    return MemoryRecords.withRecords(Compression.NONE, records(value));
  }

  private static SimpleRecord[] records(String... values) {
    SimpleRecord[] records = new SimpleRecord[values.length];
    for (int i = 0; i < values.length; i++) {
      records[i] = new SimpleRecord(System.currentTimeMillis(), null, values[i].getBytes(StandardCharsets.UTF_8));
    }
    return records;
  }

  private static PartitionProduceResponse produce(RawKafkaConnection connection, TopicPartition partition,
      MemoryRecords records) throws Exception {
    ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000)
        .setTransactionalId(records.batches().iterator().next().isTransactional() ? "raw-txn" : null);
    ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName(partition.topic());
    topic.partitionData().add(
        new ProduceRequestData.PartitionProduceData().setIndex(partition.partition()).setRecords(records));
    data.topicData().add(topic);
    ProduceResponse response = connection.call(new ProduceRequest(data, PRODUCE_VERSION));
    return response.data().responses().iterator().next().partitionResponses().get(0);
  }

  private static void assertMarkers(RawKafkaConnection connection, long producerId, TransactionResult result,
      Errors expected) throws Exception {
    assertMarkers(connection, producerId, result, expected, EPOCH);
  }

  /** Kafka's WriteTxnMarkers for every partition, as a coordinator sends it, and every partition's answer. */
  private static void assertMarkers(RawKafkaConnection connection, long producerId, TransactionResult result,
      Errors expected, short epoch) throws Exception {
    WriteTxnMarkersRequest request = new WriteTxnMarkersRequest.Builder(List.of(
        new WriteTxnMarkersRequest.TxnMarkerEntry(producerId, epoch, 0, result, PARTITIONS, (short) 0)))
        .build(ApiKeys.WRITE_TXN_MARKERS.latestVersion());
    WriteTxnMarkersResponse response = connection.call(request);
    int answered = 0;
    for (WritableTxnMarkerTopicResult topic : response.data().markers().get(0).topics()) {
      for (WritableTxnMarkerPartitionResult partition : topic.partitions()) {
        assertEquals(expected.code(), partition.errorCode(), topic.name() + "-" + partition.partitionIndex());
        answered++;
      }
    }
    assertEquals(PARTITIONS.size(), answered);
  }

  private static Map<TopicPartition, Long> latest(Admin admin, IsolationLevel isolation) throws Exception {
    Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
    PARTITIONS.forEach(partition -> specs.put(partition, OffsetSpec.latest()));
    Map<TopicPartition, Long> offsets = new HashMap<>();
    admin.listOffsets(specs, new ListOffsetsOptions(isolation)).all().get(30, TimeUnit.SECONDS)
        .forEach((partition, info) -> offsets.put(partition, info.offset()));
    return offsets;
  }

  private static KafkaConsumer<String, String> consumer(String bootstrap, IsolationLevel isolation) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config);
    consumer.assign(PARTITIONS);
    consumer.seekToBeginning(PARTITIONS);
    return consumer;
  }

  /** Polls until every partition's position has reached {@code ends}; the values read, by partition. */
  private static Map<TopicPartition, List<String>> readUpTo(
      KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> ends) {
    Map<TopicPartition, List<String>> values = new HashMap<>();
    PARTITIONS.forEach(partition -> values.put(partition, new ArrayList<>()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!reached(consumer, ends)) {
      assertTrue(System.nanoTime() < deadline, "positions " + positions(consumer) + " never reached " + ends);
      for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
        values.get(new TopicPartition(record.topic(), record.partition())).add(record.value());
      }
    }
    return values;
  }

  private static boolean reached(KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> ends) {
    return PARTITIONS.stream().allMatch(partition -> consumer.position(partition) >= ends.get(partition));
  }

  private static Map<TopicPartition, Long> positions(KafkaConsumer<String, String> consumer) {
    Map<TopicPartition, Long> positions = new HashMap<>();
    PARTITIONS.forEach(partition -> positions.put(partition, consumer.position(partition)));
    return positions;
  }

  private static Map<TopicPartition, Long> positions(Map<TopicPartition, Long> offsets) {
    return new HashMap<>(offsets);
  }
}
