package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;

/**
 * InitProducerId for idempotent producers: a new producer gets a fresh id at epoch 0; one that names its current id
 * and epoch (KIP-360, after a sequence error) gets the next epoch of the same id, or a fresh id once the epoch is
 * exhausted. A request with a transactional id goes to that id's transaction coordinator.
 */
final class ProducerIdHandler implements RequestHandler {

  private final Broker broker;
  private final TransactionHandler transactions;

  ProducerIdHandler(Broker broker, TransactionHandler transactions) {
    this.broker = broker;
    this.transactions = transactions;
  }

  @Override
  public CompletionStage<AbstractResponse> handle(KafkaRequest request) {
    InitProducerIdRequestData body = ((InitProducerIdRequest) request.body()).data();
    if (body.transactionalId() != null) {
      return transactions.initProducerId(request, body);
    }
    boolean bump = body.producerId() != RecordBatch.NO_PRODUCER_ID
        && body.producerEpoch() != RecordBatch.NO_PRODUCER_EPOCH
        && body.producerEpoch() < Short.MAX_VALUE - 1;
    if (bump) {
      return CompletableFuture.completedFuture(new InitProducerIdResponse(new InitProducerIdResponseData()
          .setProducerId(body.producerId())
          .setProducerEpoch((short) (body.producerEpoch() + 1))));
    }
    return broker.allocateProducerId()
        .handle((id, failure) -> failure != null
            ? TransactionHandler.initProducerIdError(Errors.COORDINATOR_NOT_AVAILABLE)
            : new InitProducerIdResponse(
                new InitProducerIdResponseData().setProducerId(id).setProducerEpoch((short) 0)));
  }
}
