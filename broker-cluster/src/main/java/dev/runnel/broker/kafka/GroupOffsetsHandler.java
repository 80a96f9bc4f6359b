package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.group.CommittedOffset;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.group.OffsetCommitRequest;
import dev.runnel.broker.group.OffsetFetchResult;
import dev.runnel.broker.topic.TopicMetadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartition;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartitionCollection;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopic;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopicCollection;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartitions;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopics;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;

/**
 * OffsetCommit, OffsetFetch (with KIP-447's require_stable) and OffsetDelete. Offsets are kept by topic name; from v10 of OffsetCommit and
 * OffsetFetch clients name topics by id (KIP-848), translated here through this node's topic view.
 */
final class GroupOffsetsHandler {

  private final Broker broker;
  private final Groups groups;

  GroupOffsetsHandler(Broker broker, Groups groups) {
    this.broker = broker;
    this.groups = groups;
  }

  CompletionStage<AbstractResponse> offsetCommit(KafkaRequest request) {
    var body = (org.apache.kafka.common.requests.OffsetCommitRequest) request.body();
    var data = body.data();
    boolean useTopicIds = org.apache.kafka.common.requests.OffsetCommitResponse.useTopicIds(request.version());
    var response = org.apache.kafka.common.requests.OffsetCommitResponse.newBuilder(useTopicIds);
    Map<TopicPartition, OffsetCommitRequest.Offset> offsets = new LinkedHashMap<>();
    Map<TopicPartition, Uuid> ids = new HashMap<>();
    for (OffsetCommitRequestTopic topic : data.topics()) {
      Optional<String> name = useTopicIds
          ? TopicIds.find(broker, topic.topicId()).map(TopicMetadata::name)
          : Optional.of(topic.name());
      if (name.isEmpty()) {
        for (OffsetCommitRequestPartition partition : topic.partitions()) {
          response.addPartition(topic.topicId(), topic.name(), partition.partitionIndex(), Errors.UNKNOWN_TOPIC_ID);
        }
        continue;
      }
      for (OffsetCommitRequestPartition partition : topic.partitions()) {
        TopicPartition key = new TopicPartition(name.get(), partition.partitionIndex());
        offsets.put(key, new OffsetCommitRequest.Offset(partition.committedOffset(),
            partition.committedLeaderEpoch(), partition.committedMetadata()));
        ids.put(key, topic.topicId());
      }
    }
    OffsetCommitRequest commit = new OffsetCommitRequest(data.memberId(), data.groupInstanceId(),
        data.generationIdOrMemberEpoch(), offsets);
    return groups.commitOffsets(data.groupId(), commit).thenApply(result -> {
      for (TopicPartition partition : offsets.keySet()) {
        Errors error = result.partitions().getOrDefault(partition, result.error());
        response.addPartition(ids.get(partition), useTopicIds ? "" : partition.topic(), partition.partition(),
            error);
      }
      return response.build();
    });
  }

  CompletionStage<AbstractResponse> offsetFetch(KafkaRequest request) {
    OffsetFetchRequest body = (OffsetFetchRequest) request.body();
    boolean useTopicIds = OffsetFetchRequest.useTopicIds(request.version());
    List<CompletableFuture<OffsetFetchResponseGroup>> results = new ArrayList<>();
    boolean requireStable = body.data().requireStable();
    for (OffsetFetchRequestGroup group : body.groups()) {
      results.add(fetchGroup(group, useTopicIds, requireStable).toCompletableFuture());
    }
    short version = request.version();
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done ->
        new OffsetFetchResponse.Builder(results.stream().map(CompletableFuture::join).toList()).build(version));
  }

  /**
   * @param requireStable KIP-447: a partition that an open transaction has an offset for is answered
   *     UNSTABLE_OFFSET_COMMIT (the client asks again), as read_committed consumers ask
   */
  private CompletionStage<OffsetFetchResponseGroup> fetchGroup(
      OffsetFetchRequestGroup group, boolean useTopicIds, boolean requireStable) {
    boolean all = OffsetFetchRequest.requestAllOffsets(group);
    List<TopicPartition> asked = new ArrayList<>();
    Map<String, Uuid> ids = new HashMap<>();
    List<OffsetFetchResponseTopics> unknownTopics = new ArrayList<>();
    if (!all) {
      for (OffsetFetchRequestTopics topic : group.topics()) {
        Optional<String> name = useTopicIds
            ? TopicIds.find(broker, topic.topicId()).map(TopicMetadata::name)
            : Optional.of(topic.name());
        if (name.isEmpty()) {
          OffsetFetchResponseTopics unknown = new OffsetFetchResponseTopics().setTopicId(topic.topicId());
          for (int partition : topic.partitionIndexes()) {
            unknown.partitions().add(noOffset(partition).setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
          }
          unknownTopics.add(unknown);
          continue;
        }
        ids.put(name.get(), topic.topicId());
        for (int partition : topic.partitionIndexes()) {
          asked.add(new TopicPartition(name.get(), partition));
        }
      }
    }
    return groups.fetchOffsets(group.groupId(), all ? null : asked).thenApply(result -> {
      OffsetFetchResponseGroup response = new OffsetFetchResponseGroup().setGroupId(group.groupId())
          .setErrorCode(result.error().code());
      if (result.error() != Errors.NONE) {
        return response;
      }
      Map<String, OffsetFetchResponseTopics> topics = new TreeMap<>();
      List<TopicPartition> partitions = all ? new ArrayList<>(result.offsets().keySet()) : asked;
      for (TopicPartition partition : partitions) {
        Uuid topicId = ids.computeIfAbsent(partition.topic(),
            name -> broker.topic(name).map(TopicIds::of).orElse(Uuid.ZERO_UUID));
        if (useTopicIds && topicId.equals(Uuid.ZERO_UUID)) {
          // A committed topic that no longer exists has no id to name it by.
          continue;
        }
        OffsetFetchResponseTopics topic = topics.computeIfAbsent(partition.topic(), name ->
            new OffsetFetchResponseTopics().setName(useTopicIds ? "" : name).setTopicId(topicId));
        topic.partitions().add(requireStable && result.unstable().contains(partition)
            ? noOffset(partition.partition()).setErrorCode(Errors.UNSTABLE_OFFSET_COMMIT.code())
            : partitionOffset(result, partition));
      }
      response.topics().addAll(topics.values());
      response.topics().addAll(unknownTopics);
      return response;
    });
  }

  private static OffsetFetchResponsePartitions partitionOffset(OffsetFetchResult result, TopicPartition partition) {
    CommittedOffset offset = result.offsets().get(partition);
    if (offset == null) {
      return noOffset(partition.partition());
    }
    return new OffsetFetchResponsePartitions().setPartitionIndex(partition.partition())
        .setCommittedOffset(offset.offset()).setCommittedLeaderEpoch(offset.leaderEpoch())
        .setMetadata(offset.metadata()).setErrorCode(Errors.NONE.code());
  }

  private static OffsetFetchResponsePartitions noOffset(int partition) {
    return new OffsetFetchResponsePartitions().setPartitionIndex(partition).setCommittedOffset(-1)
        .setCommittedLeaderEpoch(-1).setMetadata("").setErrorCode(Errors.NONE.code());
  }

  CompletionStage<AbstractResponse> offsetDelete(KafkaRequest request) {
    OffsetDeleteRequest body = (OffsetDeleteRequest) request.body();
    List<TopicPartition> partitions = new ArrayList<>();
    for (OffsetDeleteRequestTopic topic : body.data().topics()) {
      for (OffsetDeleteRequestPartition partition : topic.partitions()) {
        partitions.add(new TopicPartition(topic.name(), partition.partitionIndex()));
      }
    }
    return groups.deleteOffsets(body.data().groupId(), partitions).thenApply(result -> {
      OffsetDeleteResponseData data = new OffsetDeleteResponseData().setErrorCode(result.error().code());
      OffsetDeleteResponseTopicCollection topics = new OffsetDeleteResponseTopicCollection();
      if (result.error() == Errors.NONE) {
        for (TopicPartition partition : partitions) {
          OffsetDeleteResponseTopic topic = topics.find(partition.topic());
          if (topic == null) {
            topic = new OffsetDeleteResponseTopic().setName(partition.topic())
                .setPartitions(new OffsetDeleteResponsePartitionCollection());
            topics.add(topic);
          }
          Errors error = result.partitions().getOrDefault(partition, Errors.NONE);
          topic.partitions().add(new OffsetDeleteResponsePartition().setPartitionIndex(partition.partition())
              .setErrorCode(error.code()));
        }
      }
      return new OffsetDeleteResponse(data.setTopics(topics));
    });
  }
}
