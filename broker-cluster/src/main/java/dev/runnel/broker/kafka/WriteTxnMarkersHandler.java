package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.partition.TxnMarkerResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;

/**
 * WriteTxnMarkers, the request a transaction coordinator sends to partition leaders: for each marker (a producer's
 * COMMIT or ABORT) every named partition appends the control batch that ends that producer's transaction there
 * ({@link dev.runnel.broker.partition.Partition.WriteTxnMarker}), wherever in the cluster it lives. Each partition
 * answers on its own: {@code NONE}, {@code UNKNOWN_TOPIC_OR_PARTITION}, {@code INVALID_PRODUCER_EPOCH},
 * {@code TRANSACTION_COORDINATOR_FENCED} (the marker's {@code coordinatorEpoch} is older than that of the producer's
 * last marker there), or a retriable error the coordinator retries on.
 */
final class WriteTxnMarkersHandler implements RequestHandler {

  private final Broker broker;

  WriteTxnMarkersHandler(Broker broker) {
    this.broker = broker;
  }

  @Override
  public CompletionStage<AbstractResponse> handle(KafkaRequest request) {
    WriteTxnMarkersRequest body = (WriteTxnMarkersRequest) request.body();
    List<CompletableFuture<WritableTxnMarkerResult>> markers = new ArrayList<>();
    for (WritableTxnMarker marker : body.data().markers()) {
      markers.add(write(marker));
    }
    return CompletableFuture.allOf(markers.toArray(CompletableFuture[]::new)).thenApply(done -> {
      WriteTxnMarkersResponseData data = new WriteTxnMarkersResponseData();
      markers.forEach(marker -> data.markers().add(marker.join()));
      return new WriteTxnMarkersResponse(data);
    });
  }

  private CompletableFuture<WritableTxnMarkerResult> write(WritableTxnMarker marker) {
    List<CompletableFuture<WritableTxnMarkerTopicResult>> topics = new ArrayList<>();
    for (WritableTxnMarkerTopic topic : marker.topics()) {
      List<CompletableFuture<WritableTxnMarkerPartitionResult>> partitions = new ArrayList<>();
      for (int partition : topic.partitionIndexes()) {
        partitions.add(write(marker, topic.name(), partition));
      }
      topics.add(CompletableFuture.allOf(partitions.toArray(CompletableFuture[]::new)).thenApply(done -> {
        WritableTxnMarkerTopicResult result = new WritableTxnMarkerTopicResult().setName(topic.name());
        partitions.forEach(partition -> result.partitions().add(partition.join()));
        return result;
      }));
    }
    return CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new)).thenApply(done -> {
      WritableTxnMarkerResult result = new WritableTxnMarkerResult().setProducerId(marker.producerId());
      topics.forEach(topic -> result.topics().add(topic.join()));
      return result;
    });
  }

  private CompletableFuture<WritableTxnMarkerPartitionResult> write(
      WritableTxnMarker marker, String topic, int partition) {
    WritableTxnMarkerPartitionResult result = new WritableTxnMarkerPartitionResult().setPartitionIndex(partition);
    return broker.lookupTopic(topic)
        .thenCompose(found -> {
          PartitionId id = Broker.partition(found.orElseThrow(() -> Errors.UNKNOWN_TOPIC_OR_PARTITION.exception(
              "Topic '" + topic + "' does not exist.")), partition);
          return broker.writeTxnMarker(id, marker.producerId(), marker.producerEpoch(), marker.coordinatorEpoch(),
              marker.transactionResult());
        })
        .handle((written, failure) -> result.setErrorCode(
            (failure == null ? written : new TxnMarkerResult(KafkaErrors.code(failure))).error().code()))
        .toCompletableFuture();
  }
}
