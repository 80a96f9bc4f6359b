package dev.runnel.broker.kafka;

import dev.runnel.broker.BrokerSettings;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.topic.TopicConfigDef;
import dev.runnel.broker.transaction.TransactionSettings;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

/**
 * This node's settings under Kafka's broker config names, for DescribeConfigs on the {@code BROKER} resource (what
 * {@code kafka-configs.sh --describe --entity-type brokers --entity-name N --all} prints). Only names whose meaning
 * Runnel has are listed, each with the value the node runs with: the topic-config defaults under their broker
 * synonyms ({@code log.retention.ms}, {@code message.max.bytes}, ...), and the node's own settings (listeners,
 * partitions of auto-created topics, group coordinator timeouts, ...).
 *
 * @param nodeId the node's Kafka broker id, which names its resource
 * @param configs each config by name, sorted
 */
record BrokerConfigs(int nodeId, Map<String, Config> configs) {

  /** One broker config: its value as Kafka would print it, its type and what it means here. */
  record Config(String value, ConfigType type, String documentation) {}

  static BrokerConfigs of(BrokerSettings broker, KafkaSettings kafka, GroupSettings groups,
      TransactionSettings transactions, KafkaNode node) {
    Map<String, Config> configs = new TreeMap<>();
    TopicConfigDef.definitions().forEach((name, definition) -> {
      if (definition.brokerSynonym() != null) {
        configs.put(definition.brokerSynonym(), new Config(broker.topicDefaults().get(name),
            ConfigType.valueOf(definition.key().type.name()),
            "The default of topic config " + name + " (runnel.broker.topic-defaults.\"" + name + "\")."));
      }
    });
    configs.put("node.id", new Config(String.valueOf(node.nodeId()), ConfigType.INT,
        "This node's broker id (runnel.broker.kafka.node-id)."));
    configs.put("broker.id", new Config(String.valueOf(node.nodeId()), ConfigType.INT,
        "This node's broker id (runnel.broker.kafka.node-id)."));
    configs.put("process.roles", new Config("broker,controller", ConfigType.LIST,
        "Every Runnel node serves clients and holds cluster metadata (topic registry, Pekko Cluster)."));
    configs.put("listeners", new Config("PLAINTEXT://" + broker.host() + ":" + broker.kafkaPort(), ConfigType.LIST,
        "The Kafka protocol server's bind address (runnel.broker.host, runnel.broker.kafka.port; 0 is a free port)."));
    configs.put("advertised.listeners", new Config("PLAINTEXT://" + node.host() + ":" + node.port(), ConfigType.LIST,
        "The address clients are told to connect to (runnel.broker.advertised-host, kafka.advertised-port)."));
    configs.put("log.dirs", new Config(broker.dataDir().toString(), ConfigType.LIST,
        "Where the node keeps its data (runnel.data-dir)."));
    configs.put("num.partitions", new Config(String.valueOf(broker.numPartitions()), ConfigType.INT,
        "Partitions of an auto-created topic (runnel.broker.num-partitions)."));
    configs.put("auto.create.topics.enable", new Config(String.valueOf(broker.autoCreateTopics()),
        ConfigType.BOOLEAN, "Whether an unknown topic is created on first use (runnel.broker.auto-create-topics)."));
    configs.put("default.replication.factor", new Config("1", ConfigType.INT,
        "A Runnel partition has one replica, made durable by its journal."));
    configs.put("delete.topic.enable", new Config("true", ConfigType.BOOLEAN, "Topics can be deleted."));
    configs.put("log.cleaner.enable", new Config("true", ConfigType.BOOLEAN,
        "Compacted topics are compacted by their partitions."));
    configs.put("log.retention.check.interval.ms",
        new Config(String.valueOf(broker.partition().retentionCheckInterval().toMillis()), ConfigType.LONG,
            "How often each partition applies retention (runnel.broker.partition.retention-check-interval)."));
    configs.put("log.cleaner.backoff.ms",
        new Config(String.valueOf(broker.partition().compactionCheckInterval().toMillis()), ConfigType.LONG,
            "How often a compacted partition looks for work (runnel.broker.partition.compaction-check-interval)."));
    configs.put("socket.request.max.bytes", new Config(String.valueOf(kafka.maxRequestBytes()), ConfigType.INT,
        "The largest request frame (runnel.broker.kafka.max-request-bytes)."));
    configs.put("group.initial.rebalance.delay.ms",
        new Config(String.valueOf(groups.initialRebalanceDelay().toMillis()), ConfigType.INT,
            "runnel.broker.group.initial-rebalance-delay"));
    configs.put("group.min.session.timeout.ms",
        new Config(String.valueOf(groups.minSessionTimeout().toMillis()), ConfigType.INT,
            "runnel.broker.group.min-session-timeout"));
    configs.put("group.max.session.timeout.ms",
        new Config(String.valueOf(groups.maxSessionTimeout().toMillis()), ConfigType.INT,
            "runnel.broker.group.max-session-timeout"));
    configs.put("offsets.retention.minutes", new Config(String.valueOf(groups.offsetsRetention().toMinutes()),
        ConfigType.INT, "runnel.broker.group.offsets-retention"));
    configs.put("offset.metadata.max.bytes", new Config(String.valueOf(groups.offsetMetadataMaxBytes()),
        ConfigType.INT, "runnel.broker.group.offset-metadata-max-bytes"));
    configs.put("group.coordinator.rebalance.protocols", new Config("classic", ConfigType.LIST,
        "Consumer groups use the classic protocol (KIP-848's consumer protocol is not served)."));
    configs.put("transaction.max.timeout.ms", new Config(String.valueOf(transactions.maxTimeout().toMillis()),
        ConfigType.INT, "The longest transaction.timeout.ms a producer may ask for"
            + " (runnel.broker.transaction.max-timeout)."));
    configs.put("transaction.abort.timed.out.transaction.cleanup.interval.ms",
        new Config(String.valueOf(transactions.timeoutCheckInterval().toMillis()), ConfigType.INT,
            "How often a coordinator aborts its transaction once it timed out"
                + " (runnel.broker.transaction.timeout-check-interval)."));
    return new BrokerConfigs(node.nodeId(), Collections.unmodifiableMap(configs));
  }
}
