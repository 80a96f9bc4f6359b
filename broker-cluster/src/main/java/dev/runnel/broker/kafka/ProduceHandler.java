package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidRequiredAcksException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;

/**
 * Produce: each partition's batches go to its partition entity, which validates them (CRC, size, idempotent
 * sequence) and answers per partition. With acks=0 the client expects no response, so none is sent.
 *
 * <p>One instance serves one connection and is called in request order. An idempotent producer pipelines up to five
 * requests per connection and needs them to reach each partition in that order, so a request's appends are sent
 * only after the previous request's were: at once when its topics are known here, otherwise once they are looked
 * up.
 */
final class ProduceHandler implements RequestHandler {

  /** Produce v13 (KIP-516) names topics by id instead of by name. */
  private static final short FIRST_VERSION_WITH_TOPIC_IDS = 13;

  private final Broker broker;
  private CompletableFuture<Void> previousSent = CompletableFuture.completedFuture(null);

  ProduceHandler(Broker broker) {
    this.broker = broker;
  }

  @Override
  public CompletionStage<AbstractResponse> handle(KafkaRequest request) {
    ProduceRequestData body = ((ProduceRequest) request.body()).data();
    short acks = body.acks();
    boolean byId = request.version() >= FIRST_VERSION_WITH_TOPIC_IDS;
    // Each partition is answered on its own deadline: the partition request timeout, or the request's timeout_ms
    // if shorter, so the answer is back before the client gives up on the whole request.
    Duration timeout = body.timeoutMs() > 0 ? Duration.ofMillis(body.timeoutMs()) : broker.partitionTimeout();
    List<ProduceRequestData.TopicProduceData> topicData = new ArrayList<>(body.topicData());
    List<CompletableFuture<Optional<TopicMetadata>>> resolved = new ArrayList<>();
    for (ProduceRequestData.TopicProduceData topic : topicData) {
      resolved.add(resolve(topic, byId));
    }
    List<CompletableFuture<?>> before = new ArrayList<>(resolved);
    before.add(previousSent);
    CompletableFuture<List<CompletableFuture<TopicProduceResponse>>> sent =
        CompletableFuture.allOf(before.toArray(CompletableFuture[]::new)).thenApply(ready -> {
          List<CompletableFuture<TopicProduceResponse>> topics = new ArrayList<>();
          for (int i = 0; i < topicData.size(); i++) {
            topics.add(produce(topicData.get(i), resolved.get(i).join(), acks, timeout, byId)
                .toCompletableFuture());
          }
          return topics;
        });
    previousSent = sent.handle((topics, failure) -> null);
    if (acks == 0) {
      return CompletableFuture.completedFuture(null);
    }
    return sent.thenCompose(topics -> CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new))
        .thenApply(done -> {
          ProduceResponseData data = new ProduceResponseData();
          for (CompletableFuture<TopicProduceResponse> topic : topics) {
            data.responses().add(topic.join());
          }
          return new ProduceResponse(data);
        }));
  }

  /** The topic as this node knows it, else as the registry does; empty when it does not exist. */
  private CompletableFuture<Optional<TopicMetadata>> resolve(ProduceRequestData.TopicProduceData topic, boolean byId) {
    Optional<TopicMetadata> local = byId ? TopicIds.find(broker, topic.topicId()) : broker.topic(topic.name());
    if (local.isPresent() || byId) {
      return CompletableFuture.completedFuture(local);
    }
    return broker.lookupTopic(topic.name()).toCompletableFuture()
        .exceptionally(failure -> Optional.empty());
  }

  private CompletionStage<TopicProduceResponse> produce(
      ProduceRequestData.TopicProduceData topicData, Optional<TopicMetadata> topic, short acks, Duration timeout,
      boolean byId) {
    List<CompletableFuture<PartitionProduceResponse>> partitions = new ArrayList<>();
    for (ProduceRequestData.PartitionProduceData partition : topicData.partitionData()) {
      partitions.add(append(topicData, topic, partition, acks, timeout).toCompletableFuture());
    }
    return CompletableFuture.allOf(partitions.toArray(CompletableFuture[]::new)).thenApply(done -> {
      TopicProduceResponse response = new TopicProduceResponse()
          .setName(byId ? "" : topicData.name())
          .setTopicId(byId ? topicData.topicId() : Uuid.ZERO_UUID);
      for (CompletableFuture<PartitionProduceResponse> partition : partitions) {
        response.partitionResponses().add(partition.join());
      }
      return response;
    });
  }

  private CompletionStage<PartitionProduceResponse> append(ProduceRequestData.TopicProduceData topicData,
      Optional<TopicMetadata> topic, ProduceRequestData.PartitionProduceData partition, short acks,
      Duration timeout) {
    int index = partition.index();
    try {
      if (acks != 0 && acks != 1 && acks != -1) {
        throw new InvalidRequiredAcksException("acks must be 0, 1 or -1 (all), not " + acks);
      }
      TopicMetadata metadata = topic.orElseThrow(() -> topicData.topicId().equals(Uuid.ZERO_UUID)
          ? new UnknownTopicOrPartitionException("Topic '" + topicData.name() + "' does not exist.")
          : new UnknownTopicIdException("Topic id " + topicData.topicId() + " does not exist."));
      PartitionId id = Broker.partition(metadata, index);
      if (!(partition.records() instanceof MemoryRecords records) || records.sizeInBytes() == 0) {
        throw new CorruptRecordException("Produce request for " + id + " carries no record batches");
      }
      ByteBuffer batches = records.buffer();
      return broker.append(id, batches, acks, timeout).thenApply(result -> response(index, result));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(response(index, AppendResult.refused(KafkaErrors.code(e),
          KafkaErrors.of(e).message())));
    }
  }

  private static PartitionProduceResponse response(int index, AppendResult result) {
    return new PartitionProduceResponse()
        .setIndex(index)
        .setErrorCode(result.error().code())
        .setErrorMessage(result.errorMessage())
        .setBaseOffset(result.baseOffset())
        .setLogAppendTimeMs(RecordBatch.NO_TIMESTAMP)
        .setLogStartOffset(result.logStartOffset());
  }
}
