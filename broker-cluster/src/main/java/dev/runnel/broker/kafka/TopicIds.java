package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.topic.TopicMetadata;
import java.util.Optional;
import org.apache.kafka.common.Uuid;

/** Kafka topic ids (KIP-516) as the requests that name topics by id need them. */
final class TopicIds {

  private TopicIds() {}

  static Uuid of(TopicMetadata topic) {
    return Uuid.fromString(topic.topicId());
  }

  /** The topic with this id, as this node knows it. */
  static Optional<TopicMetadata> find(Broker broker, Uuid topicId) {
    return broker.topicById(topicId.toString());
  }
}
