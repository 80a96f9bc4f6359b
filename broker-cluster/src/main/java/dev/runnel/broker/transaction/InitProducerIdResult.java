package dev.runnel.broker.transaction;

import dev.runnel.broker.CborSerializable;
import org.apache.kafka.common.protocol.Errors;

/** Kafka's InitProducerId answer for a transactional id: the producer id and epoch to use, or why not. */
public record InitProducerIdResult(Errors error, long producerId, short producerEpoch) implements CborSerializable {

  public static InitProducerIdResult failed(Errors error) {
    return new InitProducerIdResult(error, -1, (short) -1);
  }
}
