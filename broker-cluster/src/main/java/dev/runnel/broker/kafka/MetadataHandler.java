package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
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
 * Metadata and DescribeCluster: this node is the cluster's only broker, its controller, and the leader and only
 * in-sync replica of every partition. Metadata that allows auto-creation creates unknown topics as producing would
 * ({@link Broker#topicForUse}).
 */
final class MetadataHandler {

  /** Kafka's "authorized operations were not asked for". */
  private static final int OPERATIONS_NOT_REQUESTED = Integer.MIN_VALUE;

  private final Broker broker;
  private final KafkaNode node;

  MetadataHandler(Broker broker, KafkaNode node) {
    this.broker = broker;
    this.node = node;
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
          .setControllerId(node.nodeId())
          .setClusterAuthorizedOperations(OPERATIONS_NOT_REQUESTED);
      data.brokers().add(new MetadataResponseBroker().setNodeId(node.nodeId()).setHost(node.host())
          .setPort(node.port()));
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
      result.partitions().add(new MetadataResponsePartition()
          .setPartitionIndex(p)
          .setErrorCode(Errors.NONE.code())
          .setLeaderId(node.nodeId())
          .setLeaderEpoch(KafkaNode.LEADER_EPOCH)
          .setReplicaNodes(List.of(node.nodeId()))
          .setIsrNodes(List.of(node.nodeId()))
          .setOfflineReplicas(List.of()));
    }
    return result;
  }

  CompletionStage<AbstractResponse> describeCluster(KafkaRequest request) {
    DescribeClusterRequestData body = ((DescribeClusterRequest) request.body()).data();
    DescribeClusterResponseData data = new DescribeClusterResponseData()
        .setClusterId(node.clusterId())
        .setControllerId(node.nodeId())
        .setEndpointType(body.endpointType())
        .setClusterAuthorizedOperations(OPERATIONS_NOT_REQUESTED);
    data.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
        .setBrokerId(node.nodeId()).setHost(node.host()).setPort(node.port()));
    return CompletableFuture.completedFuture(new DescribeClusterResponse(data));
  }
}
