package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import dev.runnel.broker.transaction.InitProducerIdResult;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every API at every version this server advertises, with a request as a client of that version writes it: the
 * server answers without error and the answer parses at that version (a field set that the version cannot carry
 * would fail the encoding and close the connection).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KafkaApiVersionsTest {

  private static final String TOPIC = "versions";
  private static RunnelNode node;
  private static Uuid topicId;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.group.initial-rebalance-delay", "0 s"));
    TopicMetadata topic = node.broker().createTopic(TOPIC, 1, Map.of()).toCompletableFuture().get();
    topicId = Uuid.fromString(topic.topicId());
    for (short v = 0; v <= ApiKeys.CREATE_PARTITIONS.latestVersion(); v++) {
      node.broker().createTopic("grow-v" + v, 1, Map.of()).toCompletableFuture().get();
    }
    for (short v = 0; v <= ApiKeys.DELETE_TOPICS.latestVersion(); v++) {
      node.broker().createTopic("doomed-v" + v, 1, Map.of()).toCompletableFuture().get();
    }
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static Stream<Arguments> advertised() {
    List<Arguments> all = new ArrayList<>();
    for (ApiVersion range : ApiVersionsHandler.SUPPORTED.values()) {
      ApiKeys key = ApiKeys.forId(range.apiKey());
      for (short v = (short) Math.max(range.minVersion(), key.oldestVersion()); v <= range.maxVersion(); v++) {
        all.add(Arguments.of(key, v));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} v{1}")
  @MethodSource("advertised")
  void when_apiIsCalledAtAnAdvertisedVersion_then_itAnswersWithoutErrorAtThatVersion(ApiKeys key, short version)
      throws Exception {
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      prepareTransaction(key, version);
      RequestHeader header = connection.send(key, version, request(key, version));
      AbstractResponse response = connection.receive(header);
      assertEquals(key, response.apiKey());
      assertEquals(Map.of(), withoutNone(response.errorCounts()), key + " v" + version + " errors");
    }
  }

  @Test
  void when_clientAsksForVersions_then_produceIsListedFromZeroAndEveryOtherApiFromItsKip896Minimum()
      throws Exception {
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      ApiVersionsResponse response = (ApiVersionsResponse) connection.receive(connection.send(
          ApiKeys.API_VERSIONS, (short) 3, request(ApiKeys.API_VERSIONS, (short) 3)));
      assertEquals(0, response.apiVersion(ApiKeys.PRODUCE.id).minVersion());
      assertEquals(4, response.apiVersion(ApiKeys.FETCH.id).minVersion());
      assertEquals(33, response.data().apiKeys().size());
      assertTrue(response.apiVersion(ApiKeys.CONSUMER_GROUP_HEARTBEAT.id) == null, "only implemented APIs are listed");
    }
  }

  /** The producer of each transactional id a transaction API is called with, initialized before the call. */
  private static final Map<String, InitProducerIdResult> PRODUCERS = new java.util.concurrent.ConcurrentHashMap<>();

  private static String transactionalId(ApiKeys key, short v) {
    return "versions-" + key.name + "-v" + v;
  }

  /** A transaction API needs an initialized transactional id; EndTxn an open transaction too. */
  private static void prepareTransaction(ApiKeys key, short v) throws Exception {
    if (key != ApiKeys.ADD_PARTITIONS_TO_TXN && key != ApiKeys.ADD_OFFSETS_TO_TXN && key != ApiKeys.END_TXN
        && key != ApiKeys.TXN_OFFSET_COMMIT && key != ApiKeys.DESCRIBE_TRANSACTIONS) {
      return;
    }
    String id = transactionalId(key, v);
    InitProducerIdResult producer = node.transactions().initProducerId(id, 60_000, -1, (short) -1)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(Errors.NONE, producer.error());
    PRODUCERS.put(id, producer);
    if (key == ApiKeys.END_TXN) {
      assertEquals(Errors.NONE, node.transactions().addOffsets(id, producer.producerId(), producer.producerEpoch(),
          "versions-group").toCompletableFuture().get(30, TimeUnit.SECONDS));
    }
  }

  private static Map<Errors, Integer> withoutNone(Map<Errors, Integer> counts) {
    Map<Errors, Integer> errors = new java.util.HashMap<>(counts);
    errors.remove(Errors.NONE);
    return errors;
  }

  private static ApiMessage request(ApiKeys key, short v) {
    switch (key) {
      case API_VERSIONS:
        return new ApiVersionsRequestData().setClientSoftwareName(v >= 3 ? "runnel-test" : null)
            .setClientSoftwareVersion(v >= 3 ? "1.0" : null);
      case METADATA:
        return new MetadataRequestData().setAllowAutoTopicCreation(true).setTopics(List.of(
            new MetadataRequestData.MetadataRequestTopic().setName(TOPIC)));
      case PRODUCE: {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(10_000);
        ProduceRequestData.TopicProduceData topic = v >= 13
            ? new ProduceRequestData.TopicProduceData().setTopicId(topicId)
            : new ProduceRequestData.TopicProduceData().setName(TOPIC);
        topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(
            MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(("v" + v).getBytes(StandardCharsets.UTF_8)))));
        data.topicData().add(topic);
        return data;
      }
      case FETCH: {
        FetchRequestData.FetchTopic topic = v >= 13
            ? new FetchRequestData.FetchTopic().setTopicId(topicId)
            : new FetchRequestData.FetchTopic().setTopic(TOPIC);
        topic.setPartitions(List.of(new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
            .setPartitionMaxBytes(1 << 20)));
        return new FetchRequestData().setMaxWaitMs(10).setMinBytes(1).setMaxBytes(1 << 20).setTopics(List.of(topic));
      }
      case LIST_OFFSETS:
        return new ListOffsetsRequestData().setReplicaId(-1).setTopics(List.of(new ListOffsetsRequestData
            .ListOffsetsTopic().setName(TOPIC).setPartitions(List.of(new ListOffsetsRequestData.ListOffsetsPartition()
            .setPartitionIndex(0).setTimestamp(-2)))));
      case OFFSET_FOR_LEADER_EPOCH: {
        OffsetForLeaderEpochRequestData data = new OffsetForLeaderEpochRequestData();
        OffsetForLeaderEpochRequestData.OffsetForLeaderTopic topic =
            new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(TOPIC);
        topic.partitions().add(new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition()
            .setPartition(0).setLeaderEpoch(0).setCurrentLeaderEpoch(0));
        data.topics().add(topic);
        return data;
      }
      case INIT_PRODUCER_ID:
        return new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60_000);
      case CREATE_TOPICS: {
        CreateTopicsRequestData data = new CreateTopicsRequestData().setTimeoutMs(10_000);
        data.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("created-v" + v)
            .setNumPartitions(2).setReplicationFactor((short) 1));
        return data;
      }
      case DELETE_TOPICS:
        return v >= 6
            ? new DeleteTopicsRequestData().setTimeoutMs(10_000).setTopics(List.of(
                new DeleteTopicsRequestData.DeleteTopicState().setName("doomed-v" + v)))
            : new DeleteTopicsRequestData().setTimeoutMs(10_000).setTopicNames(List.of("doomed-v" + v));
      case CREATE_PARTITIONS: {
        CreatePartitionsRequestData data = new CreatePartitionsRequestData().setTimeoutMs(10_000);
        data.topics().add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName("grow-v" + v)
            .setCount(3).setAssignments(null));
        return data;
      }
      case DESCRIBE_CONFIGS:
        return new DescribeConfigsRequestData().setResources(List.of(new DescribeConfigsRequestData
            .DescribeConfigsResource().setResourceType(ConfigResource.Type.TOPIC.id()).setResourceName(TOPIC)
            .setConfigurationKeys(null)));
      case ALTER_CONFIGS: {
        AlterConfigsRequestData.AlterableConfigCollection configs =
            new AlterConfigsRequestData.AlterableConfigCollection();
        configs.add(new AlterConfigsRequestData.AlterableConfig().setName("retention.ms").setValue("604800000"));
        AlterConfigsRequestData data = new AlterConfigsRequestData();
        data.resources().add(new AlterConfigsRequestData.AlterConfigsResource()
            .setResourceType(ConfigResource.Type.TOPIC.id()).setResourceName(TOPIC).setConfigs(configs));
        return data;
      }
      case INCREMENTAL_ALTER_CONFIGS: {
        IncrementalAlterConfigsRequestData.AlterableConfigCollection configs =
            new IncrementalAlterConfigsRequestData.AlterableConfigCollection();
        configs.add(new IncrementalAlterConfigsRequestData.AlterableConfig().setName("retention.bytes")
            .setConfigOperation(AlterConfigOp.OpType.DELETE.id()).setValue(null));
        IncrementalAlterConfigsRequestData data = new IncrementalAlterConfigsRequestData();
        data.resources().add(new IncrementalAlterConfigsRequestData.AlterConfigsResource()
            .setResourceType(ConfigResource.Type.TOPIC.id()).setResourceName(TOPIC).setConfigs(configs));
        return data;
      }
      case DELETE_RECORDS:
        return new DeleteRecordsRequestData().setTimeoutMs(10_000).setTopics(List.of(
            new DeleteRecordsRequestData.DeleteRecordsTopic().setName(TOPIC).setPartitions(List.of(
                new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(0)))));
      case DESCRIBE_CLUSTER:
        return new DescribeClusterRequestData();
      case WRITE_TXN_MARKERS:
        // A marker for a producer with no transaction here: acknowledged without a write.
        return new WriteTxnMarkersRequestData().setMarkers(List.of(new WriteTxnMarkersRequestData.WritableTxnMarker()
            .setProducerId(4242).setProducerEpoch((short) 0).setCoordinatorEpoch(0).setTransactionResult(true)
            .setTopics(List.of(new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(TOPIC)
                .setPartitionIndexes(List.of(0))))));
      case ADD_PARTITIONS_TO_TXN: {
        InitProducerIdResult producer = PRODUCERS.get(transactionalId(key, v));
        AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection topics =
            new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
        topics.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName(TOPIC)
            .setPartitions(List.of(0)));
        if (v < 4) {
          return new AddPartitionsToTxnRequestData().setV3AndBelowTransactionalId(transactionalId(key, v))
              .setV3AndBelowProducerId(producer.producerId()).setV3AndBelowProducerEpoch(producer.producerEpoch())
              .setV3AndBelowTopics(topics);
        }
        AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection transactions =
            new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection();
        transactions.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction()
            .setTransactionalId(transactionalId(key, v)).setProducerId(producer.producerId())
            .setProducerEpoch(producer.producerEpoch()).setVerifyOnly(false).setTopics(topics));
        return new AddPartitionsToTxnRequestData().setTransactions(transactions);
      }
      case ADD_OFFSETS_TO_TXN: {
        InitProducerIdResult producer = PRODUCERS.get(transactionalId(key, v));
        return new AddOffsetsToTxnRequestData().setTransactionalId(transactionalId(key, v))
            .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch())
            .setGroupId("versions-group");
      }
      case END_TXN: {
        InitProducerIdResult producer = PRODUCERS.get(transactionalId(key, v));
        return new EndTxnRequestData().setTransactionalId(transactionalId(key, v))
            .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch()).setCommitted(true);
      }
      case TXN_OFFSET_COMMIT: {
        InitProducerIdResult producer = PRODUCERS.get(transactionalId(key, v));
        return new TxnOffsetCommitRequestData().setTransactionalId(transactionalId(key, v))
            .setGroupId("versions-txn-group-v" + v).setProducerId(producer.producerId())
            .setProducerEpoch(producer.producerEpoch()).setGenerationIdOrMemberEpoch(-1).setMemberId("")
            .setTopics(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setName(TOPIC)
                .setPartitions(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                    .setPartitionIndex(0).setCommittedOffset(0).setCommittedMetadata("")))));
      }
      case DESCRIBE_TRANSACTIONS:
        return new DescribeTransactionsRequestData().setTransactionalIds(List.of(transactionalId(key, v)));
      case LIST_TRANSACTIONS:
        return new ListTransactionsRequestData();
      default:
        return GroupRequests.request(node, key, v, TOPIC, topicId);
    }
  }
}
