package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.OffsetLookup;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;

/**
 * ListOffsets (earliest, latest, the first offset at a timestamp) and OffsetForLeaderEpoch. With one replica and
 * no leader changes, every record has leader epoch 0 and epoch 0 ends at the log end: that is what a consumer
 * validating its position after a metadata change learns.
 */
final class OffsetsHandler {

  /** ListOffsets answers with the offset's leader epoch from v4 (KIP-320); earlier versions cannot carry it. */
  private static final short FIRST_VERSION_WITH_LEADER_EPOCH = 4;

  private final Broker broker;

  OffsetsHandler(Broker broker) {
    this.broker = broker;
  }

  CompletionStage<AbstractResponse> listOffsets(KafkaRequest request) {
    ListOffsetsRequest body = (ListOffsetsRequest) request.body();
    List<CompletableFuture<ListOffsetsTopicResponse>> topics = new ArrayList<>();
    for (ListOffsetsTopic topic : body.topics()) {
      Optional<TopicMetadata> metadata = broker.topic(topic.name());
      List<CompletableFuture<ListOffsetsPartitionResponse>> partitions = new ArrayList<>();
      for (ListOffsetsPartition partition : topic.partitions()) {
        partitions.add(listOffsets(metadata, topic.name(), partition, body.isolationLevel(), request.version())
            .toCompletableFuture());
      }
      topics.add(all(partitions).thenApply(done -> new ListOffsetsTopicResponse().setName(topic.name())
          .setPartitions(new ArrayList<>(joinAll(partitions)))));
    }
    return all(topics).thenApply(done ->
        new ListOffsetsResponse(new ListOffsetsResponseData().setTopics(new ArrayList<>(joinAll(topics)))));
  }

  private CompletionStage<ListOffsetsPartitionResponse> listOffsets(
      Optional<TopicMetadata> topic, String name, ListOffsetsPartition partition, IsolationLevel isolation,
      short version) {
    ListOffsetsPartitionResponse response = new ListOffsetsPartitionResponse()
        .setPartitionIndex(partition.partitionIndex());
    try {
      PartitionId id = Broker.partition(topic.orElseGet(() -> missing(name)), partition.partitionIndex());
      Errors epoch = KafkaNode.checkLeaderEpoch(partition.currentLeaderEpoch());
      if (epoch != Errors.NONE) {
        return CompletableFuture.completedFuture(failed(response, epoch));
      }
      long timestamp = timestamp(partition.timestamp());
      return broker.listOffsets(id, timestamp, isolation).thenApply(found -> answer(response, found, version));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(failed(response, KafkaErrors.code(e)));
    }
  }

  /**
   * The partition's lookup for a ListOffsets timestamp. All data is local, so the earliest local offset (-4,
   * KIP-405) is the earliest; the record with the largest timestamp (-3, KIP-734) and tiered-storage positions are
   * not answered.
   */
  private static long timestamp(long requested) {
    if (requested == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
      return ListOffsetsRequest.EARLIEST_TIMESTAMP;
    }
    if (requested < 0 && requested != ListOffsetsRequest.EARLIEST_TIMESTAMP
        && requested != ListOffsetsRequest.LATEST_TIMESTAMP) {
      throw new UnsupportedVersionException("ListOffsets timestamp " + requested + " is not supported");
    }
    return requested;
  }

  private static ListOffsetsPartitionResponse answer(
      ListOffsetsPartitionResponse response, OffsetLookup found, short version) {
    if (found.error() != Errors.NONE) {
      return failed(response, found.error());
    }
    response.setErrorCode(Errors.NONE.code()).setOffset(found.offset()).setTimestamp(found.timestamp());
    if (version >= FIRST_VERSION_WITH_LEADER_EPOCH && found.offset() >= 0) {
      response.setLeaderEpoch(KafkaNode.LEADER_EPOCH);
    }
    return response;
  }

  private static ListOffsetsPartitionResponse failed(ListOffsetsPartitionResponse response, Errors error) {
    return response.setErrorCode(error.code()).setOffset(-1).setTimestamp(-1);
  }

  CompletionStage<AbstractResponse> offsetForLeaderEpoch(KafkaRequest request) {
    OffsetsForLeaderEpochRequest body = (OffsetsForLeaderEpochRequest) request.body();
    List<CompletableFuture<OffsetForLeaderTopicResult>> topics = new ArrayList<>();
    for (OffsetForLeaderTopic topic : body.data().topics()) {
      Optional<TopicMetadata> metadata = broker.topic(topic.topic());
      List<CompletableFuture<EpochEndOffset>> partitions = new ArrayList<>();
      for (OffsetForLeaderPartition partition : topic.partitions()) {
        partitions.add(endOffset(metadata, topic.topic(), partition).toCompletableFuture());
      }
      topics.add(all(partitions).thenApply(done -> new OffsetForLeaderTopicResult().setTopic(topic.topic())
          .setPartitions(joinAll(partitions))));
    }
    return all(topics).thenApply(done -> {
      OffsetForLeaderEpochResponseData data = new OffsetForLeaderEpochResponseData();
      joinAll(topics).forEach(topic -> data.topics().add(topic));
      return new OffsetsForLeaderEpochResponse(data);
    });
  }

  private CompletionStage<EpochEndOffset> endOffset(
      Optional<TopicMetadata> topic, String name, OffsetForLeaderPartition partition) {
    EpochEndOffset response = new EpochEndOffset().setPartition(partition.partition());
    try {
      PartitionId id = Broker.partition(topic.orElseGet(() -> missing(name)), partition.partition());
      Errors epoch = KafkaNode.checkLeaderEpoch(partition.currentLeaderEpoch());
      if (epoch != Errors.NONE) {
        return CompletableFuture.completedFuture(response.setErrorCode(epoch.code()));
      }
      if (partition.leaderEpoch() < KafkaNode.LEADER_EPOCH) {
        // An epoch before the first one: Kafka answers "undefined" (-1, -1).
        return CompletableFuture.completedFuture(response.setLeaderEpoch(-1).setEndOffset(-1));
      }
      return broker.status(id).handle((status, failure) -> failure != null
          ? response.setErrorCode(KafkaErrors.code(failure).code())
          : response.setLeaderEpoch(KafkaNode.LEADER_EPOCH).setEndOffset(status.logEndOffset()));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(response.setErrorCode(KafkaErrors.code(e).code()));
    }
  }

  private static TopicMetadata missing(String name) {
    throw new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.");
  }

  private static <T> CompletableFuture<Void> all(List<CompletableFuture<T>> futures) {
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
  }

  private static <T> List<T> joinAll(List<CompletableFuture<T>> futures) {
    return futures.stream().map(CompletableFuture::join).toList();
  }
}
