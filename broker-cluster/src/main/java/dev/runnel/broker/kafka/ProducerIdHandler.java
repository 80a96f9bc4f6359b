package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * InitProducerId for idempotent producers: a new producer gets a fresh id at epoch 0; one that names its current id
 * and epoch (KIP-360, after a sequence error) gets the next epoch of the same id, or a fresh id once the epoch is
 * exhausted. Transactions have no coordinator here, so a transactional id is refused.
 */
final class ProducerIdHandler implements RequestHandler {

  private final Broker broker;
  private final ActorRef<ProducerIdManager.Command> manager;

  ProducerIdHandler(Broker broker, ActorRef<ProducerIdManager.Command> manager) {
    this.broker = broker;
    this.manager = manager;
  }

  @Override
  public CompletionStage<AbstractResponse> handle(KafkaRequest request) {
    InitProducerIdRequestData body = ((InitProducerIdRequest) request.body()).data();
    if (body.transactionalId() != null) {
      return CompletableFuture.completedFuture(error(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
    }
    boolean bump = body.producerId() != RecordBatch.NO_PRODUCER_ID
        && body.producerEpoch() != RecordBatch.NO_PRODUCER_EPOCH
        && body.producerEpoch() < Short.MAX_VALUE - 1;
    if (bump) {
      return CompletableFuture.completedFuture(new InitProducerIdResponse(new InitProducerIdResponseData()
          .setProducerId(body.producerId())
          .setProducerEpoch((short) (body.producerEpoch() + 1))));
    }
    Duration timeout = broker.settings().askTimeout();
    return AskPattern.<ProducerIdManager.Command, Long>ask(
            manager, ProducerIdManager.AllocateProducerId::new, timeout, broker.system().scheduler())
        .handle((id, failure) -> failure != null
            ? error(Errors.COORDINATOR_NOT_AVAILABLE)
            : new InitProducerIdResponse(
                new InitProducerIdResponseData().setProducerId(id).setProducerEpoch((short) 0)));
  }

  private static AbstractResponse error(Errors error) {
    return new InitProducerIdResponse(new InitProducerIdResponseData()
        .setErrorCode(error.code())
        .setProducerId(RecordBatch.NO_PRODUCER_ID)
        .setProducerEpoch(RecordBatch.NO_PRODUCER_EPOCH));
  }
}
