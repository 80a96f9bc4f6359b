package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.DeleteRecordsResult;
import dev.runnel.broker.partition.PartitionId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteRecordsResponse;

/**
 * DeleteRecords: moves each partition's log start offset to the offset given ({@code -1}: the high watermark) and
 * answers the new low watermark. Each partition succeeds or fails on its own; the journal events wholly below the
 * new start are deleted in the background, after the partition's next snapshot.
 */
final class DeleteRecordsHandler implements RequestHandler {

  private final Broker broker;

  DeleteRecordsHandler(Broker broker) {
    this.broker = broker;
  }

  @Override
  public CompletionStage<AbstractResponse> handle(KafkaRequest request) {
    DeleteRecordsRequestData body = ((DeleteRecordsRequest) request.body()).data();
    List<CompletableFuture<DeleteRecordsTopicResult>> topics = new ArrayList<>();
    for (DeleteRecordsTopic topic : body.topics()) {
      topics.add(deleteTopic(topic));
    }
    return CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new)).thenApply(done -> {
      DeleteRecordsResponseData data = new DeleteRecordsResponseData();
      topics.forEach(topic -> data.topics().add(topic.join()));
      return new DeleteRecordsResponse(data);
    });
  }

  private CompletableFuture<DeleteRecordsTopicResult> deleteTopic(DeleteRecordsTopic topic) {
    List<CompletableFuture<DeleteRecordsPartitionResult>> partitions = new ArrayList<>();
    for (DeleteRecordsPartition partition : topic.partitions()) {
      partitions.add(deletePartition(topic.name(), partition));
    }
    return CompletableFuture.allOf(partitions.toArray(CompletableFuture[]::new)).thenApply(done -> {
      DeleteRecordsTopicResult result = new DeleteRecordsTopicResult().setName(topic.name());
      partitions.forEach(partition -> result.partitions().add(partition.join()));
      return result;
    });
  }

  private CompletableFuture<DeleteRecordsPartitionResult> deletePartition(
      String topic, DeleteRecordsPartition partition) {
    DeleteRecordsPartitionResult result = new DeleteRecordsPartitionResult()
        .setPartitionIndex(partition.partitionIndex());
    return broker.lookupTopic(topic)
        .thenCompose(found -> {
          PartitionId id = Broker.partition(found.orElseThrow(() -> Errors.UNKNOWN_TOPIC_OR_PARTITION.exception(
              "Topic '" + topic + "' does not exist.")), partition.partitionIndex());
          return broker.deleteRecords(id, partition.offset());
        })
        .handle((deleted, failure) -> {
          DeleteRecordsResult answer = failure == null ? deleted
              : DeleteRecordsResult.error(KafkaErrors.code(failure));
          return result.setLowWatermark(answer.lowWatermark()).setErrorCode(answer.error().code());
        })
        .toCompletableFuture();
  }
}
