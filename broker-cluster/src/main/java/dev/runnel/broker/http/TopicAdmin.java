package dev.runnel.broker.http;

import dev.runnel.broker.Broker;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.partition.PartitionStatus;
import dev.runnel.broker.topic.TopicConfig;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.TopicName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Topic administration for the HTTP API, over the {@link Broker}'s topic operations, and the JSON views of topics.
 * Thread-safe.
 */
final class TopicAdmin {

  /**
   * A topic in lists and in answers to changes.
   *
   * @param name the topic's name
   * @param topicId Kafka's topic id
   * @param partitions how many partitions it has
   * @param configs the configs set on the topic itself (defaults left out)
   */
  record TopicSummary(String name, String topicId, int partitions, Map<String, String> configs) {

    static TopicSummary of(TopicMetadata topic) {
      return new TopicSummary(topic.name(), topic.topicId(), topic.partitions(), new TreeMap<>(topic.configs()));
    }
  }

  /**
   * A topic described in full.
   *
   * @param name the topic's name
   * @param topicId Kafka's topic id
   * @param partitions each partition's offsets and size
   * @param configs every topic config with its effective value
   */
  record TopicDescription(String name, String topicId, List<PartitionDescription> partitions,
      List<ConfigEntry> configs) {}

  /**
   * @param partition the partition number
   * @param logStartOffset the first offset that can be read
   * @param logEndOffset the offset the next record will get
   * @param sizeInBytes bytes of record batches held
   */
  record PartitionDescription(int partition, long logStartOffset, long logEndOffset, long sizeInBytes) {}

  /**
   * @param name the config's Kafka name
   * @param value its effective value
   * @param defaultValue the broker's default for it
   * @param overridden whether the topic sets it itself
   */
  record ConfigEntry(String name, String value, String defaultValue, boolean overridden) {}

  private final Broker broker;

  TopicAdmin(Broker broker) {
    this.broker = broker;
  }

  List<TopicSummary> list() {
    List<TopicSummary> topics = new ArrayList<>();
    for (TopicMetadata topic : broker.topics()) {
      topics.add(TopicSummary.of(topic));
    }
    topics.sort(Comparator.comparing(TopicSummary::name));
    return topics;
  }

  CompletionStage<TopicSummary> create(String name, Integer partitions, Map<String, String> configs) {
    return broker.createTopic(name, partitions == null ? broker.settings().numPartitions() : partitions, configs)
        .thenApply(TopicSummary::of);
  }

  CompletionStage<TopicSummary> delete(String name) {
    return broker.deleteTopic(name).thenApply(TopicSummary::of);
  }

  CompletionStage<TopicSummary> createPartitions(String name, int total) {
    return broker.createPartitions(name, total).thenApply(TopicSummary::of);
  }

  CompletionStage<List<ConfigEntry>> alterConfigs(String name, Map<String, String> configs) {
    return broker.alterConfigs(name, configs).thenApply(this::configs);
  }

  /** A topic that must exist, from this node's view or the registry. */
  CompletionStage<TopicMetadata> existing(String name) {
    TopicName.validate(name);
    return broker.lookupTopic(name).thenApply(found -> found.orElseThrow(
        () -> new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.")));
  }

  CompletionStage<TopicDescription> describe(String name) {
    return existing(name).thenCompose(topic -> {
      List<CompletableFuture<PartitionStatus>> statuses = new ArrayList<>(topic.partitions());
      for (PartitionId partition : Broker.partitions(topic)) {
        statuses.add(broker.status(partition).toCompletableFuture());
      }
      return CompletableFuture.allOf(statuses.toArray(new CompletableFuture<?>[0])).thenApply(done -> {
        List<PartitionDescription> partitions = new ArrayList<>(statuses.size());
        for (int p = 0; p < statuses.size(); p++) {
          PartitionStatus status = statuses.get(p).join();
          partitions.add(new PartitionDescription(
              p, status.logStartOffset(), status.logEndOffset(), status.sizeInBytes()));
        }
        return new TopicDescription(topic.name(), topic.topicId(), partitions, configs(topic));
      });
    });
  }

  private List<ConfigEntry> configs(TopicMetadata topic) {
    Map<String, String> defaults = broker.topicDefaults();
    List<ConfigEntry> entries = new ArrayList<>();
    for (String key : new TreeSet<>(TopicConfig.KEYS)) {
      String own = topic.configs().get(key);
      String defaultValue = defaults.get(key);
      entries.add(new ConfigEntry(key, own != null ? own : defaultValue, defaultValue, own != null));
    }
    return entries;
  }
}
