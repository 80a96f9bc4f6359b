package dev.runnel.broker.topic;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's view of the topic metadata, kept current by {@link TopicDirectory} from the registry's replicated
 * data, so that every protocol reads metadata locally without asking the registry singleton.
 *
 * <p>Changes this node made itself are visible here at once (read your own writes) and stay overlaid on the
 * replicated map until replication has caught up with them, so a replicated map older than the change can neither
 * hide a topic just created here nor bring back one just deleted here.
 *
 * <p>Thread-safe: readers see an immutable map published through a volatile field; updates are synchronized.
 */
public final class Topics {

  private final Map<String, String> defaults;
  private volatile Map<String, TopicMetadata> topics = Map.of();
  private volatile Map<String, TopicMetadata> byId = Map.of();
  /**
   * Resolved configs of the published topics: resolving parses every config, which took a twentieth of a produce's
   * CPU time when done per request. Keyed by the metadata itself, so a changed topic is resolved anew; a new map
   * with each publication, so it holds no more than the topics.
   */
  private volatile Map<TopicMetadata, TopicConfig> resolved = new ConcurrentHashMap<>();
  private Map<String, TopicMetadata> replicated = Map.of();
  private final Map<String, TopicMetadata> localChanges = new HashMap<>();
  private final Set<String> localDeletions = new HashSet<>();

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
    if (topic == null) {
      return TopicConfig.resolve(defaults, Map.of());
    }
    return resolved.computeIfAbsent(topic, known -> TopicConfig.resolve(defaults, known.configs()));
  }

  /** The topic with this Kafka topic id (base64), as this node knows it. */
  public Optional<TopicMetadata> byId(String topicId) {
    return Optional.ofNullable(byId.get(topicId));
  }

  /** The broker's default topic configs. */
  public Map<String, String> defaults() {
    return defaults;
  }

  /** The registry's state as replicated to this node. */
  synchronized void replaceAll(Map<String, TopicMetadata> newReplicated) {
    replicated = Map.copyOf(newReplicated);
    localChanges.values().removeIf(change -> change.equals(replicated.get(change.name())));
    localDeletions.removeIf(topicId -> replicated.values().stream().noneMatch(t -> t.topicId().equals(topicId)));
    publish();
  }

  /** Records a change this node made itself, ahead of its replication. */
  public synchronized void put(TopicMetadata topic) {
    localChanges.put(topic.name(), topic);
    publish();
  }

  /** Forgets a topic this node deleted itself, ahead of the replication. */
  public synchronized void remove(TopicMetadata topic) {
    localChanges.remove(topic.name());
    localDeletions.add(topic.topicId());
    publish();
  }

  private void publish() {
    Map<String, TopicMetadata> view = new HashMap<>(replicated);
    view.putAll(localChanges);
    view.values().removeIf(topic -> localDeletions.contains(topic.topicId()));
    Map<String, TopicMetadata> ids = new HashMap<>();
    view.values().forEach(topic -> ids.put(topic.topicId(), topic));
    resolved = new ConcurrentHashMap<>();
    byId = Map.copyOf(ids);
    topics = Map.copyOf(view);
  }
}
