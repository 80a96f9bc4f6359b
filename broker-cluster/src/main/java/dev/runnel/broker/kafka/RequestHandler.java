package dev.runnel.broker.kafka;

import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.requests.AbstractResponse;

/** Handles one Kafka API: the response, or null when the request is answered with silence (Produce with acks=0). */
@FunctionalInterface
interface RequestHandler {
  CompletionStage<AbstractResponse> handle(KafkaRequest request);
}
