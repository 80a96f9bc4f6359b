package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.cluster.BrokerEndpoint;
import dev.runnel.broker.cluster.ClusterView;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.TopicName;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;

/**
 * Metadata and DescribeCluster, from this node's {@link ClusterView}: every live node is a broker with its own
 * Kafka host and port, each partition is led by the node that hosts its entity, which is also its only replica and
 * in-sync replica (durability is the journal's, not replicas'), and the controller is the oldest node, where the
 * topic registry runs. Until the view knows a leader (a node whose endpoint has not arrived yet) this node names
 * itself, which serves any partition through sharding. Metadata that allows auto-creation creates unknown topics
 * as producing would ({@link Broker#topicForUse}).
 */
final class MetadataHandler {

  /** Kafka's "authorized operations were not asked for". */
  private static final int OPERATIONS_NOT_REQUESTED = Integer.MIN_VALUE;

  private final Broker broker;
  private final KafkaNode node;
  private final ClusterView cluster;

  MetadataHandler(Broker broker, KafkaNode node) {
    this.broker = broker;
    this.node = node;
    this.cluster = ClusterView.get(broker.system());
  }

  /** The live brokers, and this node even before it is an Up member: it is the one the client reached. */
  private List<BrokerEndpoint> brokers() {
    List<BrokerEndpoint> brokers = new ArrayList<>(cluster.brokers());
    if (brokers.stream().noneMatch(b -> b.nodeId() == node.nodeId())) {
      brokers.add(new BrokerEndpoint(node.nodeId(), node.host(), node.port(), node.host(), -1));
    }
    return brokers;
  }

  private int controllerId() {
    return cluster.controller().map(BrokerEndpoint::nodeId).orElse(node.nodeId());
  }

  CompletionStage<AbstractResponse> metadata(KafkaRequest request) {
    MetadataRequest body = (MetadataRequest) request.body();
    List<CompletableFuture<MetadataResponseTopic>> topics = new ArrayList<>();
    if (body.isAllTopics()) {
      for (TopicMetadata topic : broker.topics()) {
        topics.add(CompletableFuture.completedFuture(describe(topic)));
      }
    } else {
      // Before v4 a client could not say no, and Kafka created topics for every Metadata request.
      boolean autoCreate = request.version() < 4 || body.allowAutoTopicCreation();
      for (MetadataRequestTopic wanted : body.data().topics()) {
        topics.add(topic(wanted, autoCreate).toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new)).thenApply(done -> {
      MetadataResponseData data = new MetadataResponseData()
          .setClusterId(node.clusterId())
          .setControllerId(controllerId())
          .setClusterAuthorizedOperations(OPERATIONS_NOT_REQUESTED);
      for (BrokerEndpoint broker : brokers()) {
        data.brokers().add(new MetadataResponseBroker().setNodeId(broker.nodeId()).setHost(broker.kafkaHost())
            .setPort(broker.kafkaPort()));
      }
      for (CompletableFuture<MetadataResponseTopic> topic : topics) {
        data.topics().add(topic.join());
      }
      return new MetadataResponse(data, request.version());
    });
  }

  private CompletionStage<MetadataResponseTopic> topic(MetadataRequestTopic wanted, boolean autoCreate) {
    if (wanted.name() == null) {
      Uuid id = wanted.topicId();
      return CompletableFuture.completedFuture(TopicIds.find(broker, id).map(this::describe)
          .orElseGet(() -> failed(null, id, new UnknownTopicIdException("Topic id " + id + " does not exist."))));
    }
    String name = wanted.name();
    CompletionStage<TopicMetadata> found;
    try {
      TopicName.validate(name);
      found = autoCreate ? broker.topicForUse(name) : broker.lookupTopic(name).thenApply(topic -> topic.orElseThrow(
          () -> new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.")));
    } catch (RuntimeException e) {
      found = CompletableFuture.failedFuture(e);
    }
    return found.handle((topic, failure) -> failure == null ? describe(topic) : failed(name, Uuid.ZERO_UUID, failure));
  }

  private MetadataResponseTopic failed(String name, Uuid id, Throwable failure) {
    return new MetadataResponseTopic().setName(name).setTopicId(id).setErrorCode(KafkaErrors.code(failure).code())
        .setTopicAuthorizedOperations(OPERATIONS_NOT_REQUESTED);
  }

  private MetadataResponseTopic describe(TopicMetadata topic) {
    MetadataResponseTopic result = new MetadataResponseTopic()
        .setName(topic.name())
        .setTopicId(TopicIds.of(topic))
        .setIsInternal(false)
        .setErrorCode(Errors.NONE.code())
        .setTopicAuthorizedOperations(OPERATIONS_NOT_REQUESTED);
    for (int p = 0; p < topic.partitions(); p++) {
      int leader = cluster.partitionLeader(PartitionId.of(topic, p)).map(BrokerEndpoint::nodeId)
          .orElse(node.nodeId());
      result.partitions().add(new MetadataResponsePartition()
          .setPartitionIndex(p)
          .setErrorCode(Errors.NONE.code())
          .setLeaderId(leader)
          .setLeaderEpoch(KafkaNode.LEADER_EPOCH)
          .setReplicaNodes(List.of(leader))
          .setIsrNodes(List.of(leader))
          .setOfflineReplicas(List.of()));
    }
    return result;
  }

  CompletionStage<AbstractResponse> describeCluster(KafkaRequest request) {
    DescribeClusterRequestData body = ((DescribeClusterRequest) request.body()).data();
    DescribeClusterResponseData data = new DescribeClusterResponseData()
        .setClusterId(node.clusterId())
        .setControllerId(controllerId())
        .setEndpointType(body.endpointType())
        .setClusterAuthorizedOperations(OPERATIONS_NOT_REQUESTED);
    for (BrokerEndpoint broker : brokers()) {
      data.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
          .setBrokerId(broker.nodeId()).setHost(broker.kafkaHost()).setPort(broker.kafkaPort()));
    }
    return CompletableFuture.completedFuture(new DescribeClusterResponse(data));
  }
}
