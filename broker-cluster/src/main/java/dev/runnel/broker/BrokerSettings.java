package dev.runnel.broker;

import com.typesafe.config.Config;
import dev.runnel.broker.partition.PartitionSettings;
import dev.runnel.broker.topic.TopicConfig;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * A node's settings, read once from {@code runnel} (see the module's {@code reference.conf} for each key).
 *
 * @param dataDir where the node keeps its data
 * @param host the interface the servers bind to
 * @param advertisedHost the host name clients are told to connect to
 * @param httpPort HTTP port; 0 picks a free one
 * @param kafkaPort Kafka protocol port; 0 picks a free one
 * @param autoCreateTopics whether producing to or fetching metadata of an unknown topic creates it
 * @param numPartitions partitions of an auto-created topic
 * @param maxPartitions the largest partition count a topic may have
 * @param askTimeout how long a request waits for the topic registry, the producer id allocator or a group
 *     coordinator (partitions: {@link PartitionSettings#requestTimeout()})
 * @param topicDefaults Kafka topic configs that apply where a topic sets none
 * @param partition settings of the partition entities
 */
public record BrokerSettings(
    Path dataDir,
    String host,
    String advertisedHost,
    int httpPort,
    int kafkaPort,
    boolean autoCreateTopics,
    int numPartitions,
    int maxPartitions,
    Duration askTimeout,
    Map<String, String> topicDefaults,
    PartitionSettings partition) {

  public BrokerSettings {
    checkPort(httpPort, "runnel.broker.http.port");
    checkPort(kafkaPort, "runnel.broker.kafka.port");
    if (numPartitions < 1) {
      throw new IllegalArgumentException("runnel.broker.num-partitions must be positive");
    }
    if (maxPartitions < numPartitions) {
      throw new IllegalArgumentException("runnel.broker.max-partitions must be at least num-partitions");
    }
  }

  private static void checkPort(int port, String key) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(key + " must be between 0 and 65535, not " + port);
    }
  }

  /** These settings with partitions measuring time by {@code clock}. */
  public BrokerSettings withClock(Clock clock) {
    return new BrokerSettings(dataDir, host, advertisedHost, httpPort, kafkaPort, autoCreateTopics, numPartitions,
        maxPartitions, askTimeout, topicDefaults, partition.withClock(clock));
  }

  public static BrokerSettings create(Config config) {
    Config broker = config.getConfig("runnel.broker");
    String advertised = broker.getString("advertised-host");
    return new BrokerSettings(
        Paths.get(config.getString("runnel.data-dir")).toAbsolutePath().normalize(),
        broker.getString("host"),
        advertised.isEmpty() ? broker.getString("host") : advertised,
        broker.getInt("http.port"),
        broker.getInt("kafka.port"),
        broker.getBoolean("auto-create-topics"),
        broker.getInt("num-partitions"),
        broker.getInt("max-partitions"),
        broker.getDuration("ask-timeout"),
        TopicConfig.defaults(broker.getConfig("topic-defaults")),
        PartitionSettings.create(broker.getConfig("partition")));
  }
}
