package dev.runnel.broker.topic;

import java.util.Map;
import java.util.Objects;

/**
 * What the topic registry knows of a topic. The topic id tells apart a topic from an earlier one of the same name:
 * partition logs are keyed by it, so a deleted topic's data is never seen by its successor.
 *
 * @param name the topic's name
 * @param topicId Kafka's topic id, in Kafka's base64 form
 * @param partitions number of partitions
 * @param configs the configs set on this topic (defaults not included)
 */
public record TopicMetadata(String name, String topicId, int partitions, Map<String, String> configs) {

  public TopicMetadata {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(topicId, "topicId");
    configs = Map.copyOf(configs);
  }

  public TopicMetadata withPartitions(int count) {
    return new TopicMetadata(name, topicId, count, configs);
  }

  public TopicMetadata withConfigs(Map<String, String> newConfigs) {
    return new TopicMetadata(name, topicId, partitions, newConfigs);
  }
}
