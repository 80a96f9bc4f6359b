package dev.runnel.broker.partition;

import dev.runnel.broker.topic.TopicMetadata;

/**
 * Identifies one partition log: topic name, the topic's id (so a re-created topic starts a new log) and the
 * partition number. Its {@link #entityId()} is the sharded partition entity's id; topic names cannot contain
 * {@code /}, so the form is unambiguous.
 */
public record PartitionId(String topic, String topicId, int partition) {

  public static PartitionId of(TopicMetadata topic, int partition) {
    return new PartitionId(topic.name(), topic.topicId(), partition);
  }

  public String entityId() {
    return topic + "/" + partition + "/" + topicId;
  }

  public static PartitionId fromEntityId(String entityId) {
    String[] parts = entityId.split("/", 3);
    if (parts.length != 3) {
      throw new IllegalArgumentException("not a partition entity id: " + entityId);
    }
    return new PartitionId(parts[0], parts[2], Integer.parseInt(parts[1]));
  }

  @Override
  public String toString() {
    return topic + "-" + partition;
  }
}
