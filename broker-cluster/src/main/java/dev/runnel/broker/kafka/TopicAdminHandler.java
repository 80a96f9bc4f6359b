package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.cluster.ClusterView;
import dev.runnel.broker.topic.TopicConfig;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.TopicName;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicConfigs;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreatePartitionsResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DeleteTopicsResponse;

/**
 * CreateTopics, DeleteTopics and CreatePartitions, through the topic registry. Each topic of a request succeeds or
 * fails on its own, with Kafka's error for it. A Runnel partition has one replica, its leader, made durable by the
 * journal (shared by all nodes on the postgres profile, so any node can take a partition over). A replication
 * factor from 1 up to the number of live brokers is accepted, as Kafka accepts one it can place, and means that
 * many nodes could serve the partition; a larger one is {@code INVALID_REPLICATION_FACTOR}, as in Kafka.
 */
final class TopicAdminHandler {

  private final Broker broker;

  TopicAdminHandler(Broker broker) {
    this.broker = broker;
  }

  CompletionStage<AbstractResponse> createTopics(KafkaRequest request) {
    CreateTopicsRequestData body = ((CreateTopicsRequest) request.body()).data();
    List<CompletableFuture<CreatableTopicResult>> results = new ArrayList<>();
    for (CreatableTopic topic : body.topics()) {
      results.add(create(topic, body.validateOnly()).toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      CreateTopicsResponseData data = new CreateTopicsResponseData();
      results.forEach(result -> data.topics().add(result.join()));
      return new CreateTopicsResponse(data);
    });
  }

  private CompletionStage<CreatableTopicResult> create(CreatableTopic topic, boolean validateOnly) {
    CreatableTopicResult result = new CreatableTopicResult().setName(topic.name());
    int partitions;
    Map<String, String> configs = new HashMap<>();
    try {
      TopicName.validate(topic.name());
      partitions = partitions(topic);
      for (CreatableTopicConfig config : topic.configs()) {
        configs.put(config.name(), config.value());
      }
      TopicConfig.validate(configs);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(failed(result, e));
    }
    if (validateOnly) {
      return broker.lookupTopic(topic.name()).handle((found, failure) -> {
        if (failure != null) {
          return failed(result, failure);
        }
        if (found.isPresent()) {
          return failed(result, new TopicExistsException("Topic '" + topic.name() + "' already exists."));
        }
        return result.setNumPartitions(partitions).setReplicationFactor((short) 1);
      });
    }
    return broker.createTopic(topic.name(), partitions, configs).handle((created, failure) -> {
      if (failure != null) {
        return failed(result, failure);
      }
      result.setTopicId(TopicIds.of(created)).setNumPartitions(created.partitions()).setReplicationFactor((short) 1);
      ConfigsHandler.effective(broker, created).forEach((name, entry) -> result.configs().add(
          new CreatableTopicConfigs().setName(name).setValue(entry.value()).setReadOnly(false)
              .setConfigSource(entry.source().id()).setIsSensitive(false)));
      return result;
    });
  }

  /** The partition count asked for: numPartitions, the broker's default for -1, or the manual assignment's size. */
  private int partitions(CreatableTopic topic) {
    int brokers = Math.max(1, ClusterView.get(broker.system()).brokers().size());
    if (topic.replicationFactor() != -1 && (topic.replicationFactor() < 1 || topic.replicationFactor() > brokers)) {
      throw new InvalidReplicationFactorException("Replication factor " + topic.replicationFactor()
          + " is larger than the " + brokers + " live broker(s), or below 1");
    }
    if (!topic.assignments().isEmpty()) {
      if (topic.numPartitions() != -1 || topic.replicationFactor() != -1) {
        throw new InvalidRequestException("Both numPartitions or replicationFactor and replicasAssignments were set. "
            + "Both cannot be used at the same time.");
      }
      topic.assignments().forEach(assignment -> {
        if (assignment.brokerIds().size() != 1) {
          throw new InvalidReplicaAssignmentException("Partition " + assignment.partitionIndex()
              + " is assigned " + assignment.brokerIds().size() + " replicas; Runnel partitions have one");
        }
      });
      return topic.assignments().size();
    }
    if (topic.numPartitions() == -1) {
      return broker.settings().numPartitions();
    }
    if (topic.numPartitions() < 1) {
      throw new InvalidPartitionsException("Number of partitions must be larger than 0, not " + topic.numPartitions());
    }
    return topic.numPartitions();
  }

  private static CreatableTopicResult failed(CreatableTopicResult result, Throwable failure) {
    ApiError error = KafkaErrors.of(failure);
    return result.setErrorCode(error.error().code()).setErrorMessage(error.message())
        .setNumPartitions(-1).setReplicationFactor((short) -1).setTopicConfigErrorCode(Errors.NONE.code());
  }

  CompletionStage<AbstractResponse> deleteTopics(KafkaRequest request) {
    DeleteTopicsRequestData body = ((DeleteTopicsRequest) request.body()).data();
    List<DeleteTopicState> topics = new ArrayList<>(body.topics());
    body.topicNames().forEach(name -> topics.add(new DeleteTopicState().setName(name).setTopicId(Uuid.ZERO_UUID)));
    List<CompletableFuture<DeletableTopicResult>> results = new ArrayList<>();
    for (DeleteTopicState topic : topics) {
      results.add(delete(topic).toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      DeleteTopicsResponseData data = new DeleteTopicsResponseData();
      results.forEach(result -> data.responses().add(result.join()));
      return new DeleteTopicsResponse(data);
    });
  }

  private CompletionStage<DeletableTopicResult> delete(DeleteTopicState topic) {
    DeletableTopicResult result = new DeletableTopicResult().setName(topic.name()).setTopicId(topic.topicId());
    String name = topic.name();
    if (name == null) {
      Optional<TopicMetadata> found = TopicIds.find(broker, topic.topicId());
      if (found.isEmpty()) {
        ApiError error =
            KafkaErrors.of(new UnknownTopicIdException("Topic id " + topic.topicId() + " does not exist."));
        return CompletableFuture.completedFuture(
            result.setErrorCode(error.error().code()).setErrorMessage(error.message()));
      }
      name = found.get().name();
      result.setName(name);
    }
    return broker.deleteTopic(name).handle((deleted, failure) -> {
      if (failure != null) {
        ApiError error = KafkaErrors.of(failure);
        return result.setErrorCode(error.error().code()).setErrorMessage(error.message());
      }
      return result.setTopicId(TopicIds.of(deleted)).setErrorCode(Errors.NONE.code());
    });
  }

  CompletionStage<AbstractResponse> createPartitions(KafkaRequest request) {
    CreatePartitionsRequest body = (CreatePartitionsRequest) request.body();
    List<CompletableFuture<CreatePartitionsTopicResult>> results = new ArrayList<>();
    for (CreatePartitionsTopic topic : body.data().topics()) {
      results.add(createPartitions(topic, body.data().validateOnly()).toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      CreatePartitionsResponseData data = new CreatePartitionsResponseData();
      results.forEach(result -> data.results().add(result.join()));
      return new CreatePartitionsResponse(data);
    });
  }

  private CompletionStage<CreatePartitionsTopicResult> createPartitions(
      CreatePartitionsTopic topic, boolean validateOnly) {
    CreatePartitionsTopicResult result = new CreatePartitionsTopicResult().setName(topic.name());
    CompletionStage<TopicMetadata> outcome;
    if (topic.assignments() != null && topic.assignments().stream().anyMatch(a -> a.brokerIds().size() != 1)) {
      outcome = CompletableFuture.failedFuture(
          new InvalidReplicaAssignmentException("Runnel partitions have exactly one replica"));
    } else if (validateOnly) {
      outcome = broker.lookupTopic(topic.name()).thenApply(found -> {
        TopicMetadata current = found.orElseThrow(
            () -> new UnknownTopicOrPartitionException("Topic '" + topic.name() + "' does not exist."));
        if (topic.count() <= current.partitions()) {
          throw new InvalidPartitionsException("Topic currently has " + current.partitions()
              + " partitions, which is higher than the requested " + topic.count() + ".");
        }
        return current;
      });
    } else {
      outcome = broker.createPartitions(topic.name(), topic.count());
    }
    return outcome.handle((done, failure) -> {
      if (failure != null) {
        ApiError error = KafkaErrors.of(failure);
        return result.setErrorCode(error.error().code()).setErrorMessage(error.message());
      }
      return result.setErrorCode(Errors.NONE.code());
    });
  }
}
