package dev.runnel.broker.topic;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * This node's view of the topic metadata, kept current by {@link TopicDirectory} from the registry's replicated
 * data, so that every protocol reads metadata locally without asking the registry singleton.
 *
 * <p>Thread-safe: readers see an immutable map published through a volatile field.
 */
public final class Topics {

  private final Map<String, String> defaults;
  private volatile Map<String, TopicMetadata> topics = Map.of();

  public Topics(Map<String, String> defaults) {
    this.defaults = Map.copyOf(defaults);
  }

  public Optional<TopicMetadata> get(String name) {
    return Optional.ofNullable(topics.get(name));
  }

  public Collection<TopicMetadata> all() {
    return topics.values();
  }

  /** The effective configuration of a topic; the broker's defaults for a topic this node does not know. */
  public TopicConfig config(String name) {
    TopicMetadata topic = topics.get(name);
    return TopicConfig.resolve(defaults, topic == null ? Map.of() : topic.configs());
  }

  /** The broker's default topic configs. */
  public Map<String, String> defaults() {
    return defaults;
  }

  synchronized void replaceAll(Map<String, TopicMetadata> replicated) {
    topics = Map.copyOf(replicated);
  }

  /** Records a change this node made itself, ahead of its replication (read your own writes). */
  public synchronized void put(TopicMetadata topic) {
    Map<String, TopicMetadata> next = new HashMap<>(topics);
    next.put(topic.name(), topic);
    topics = Map.copyOf(next);
  }

  /** Forgets a topic this node deleted itself, ahead of the replication. */
  public synchronized void remove(TopicMetadata topic) {
    TopicMetadata current = topics.get(topic.name());
    if (current != null && current.topicId().equals(topic.topicId())) {
      Map<String, TopicMetadata> next = new HashMap<>(topics);
      next.remove(topic.name());
      topics = Map.copyOf(next);
    }
  }
}
