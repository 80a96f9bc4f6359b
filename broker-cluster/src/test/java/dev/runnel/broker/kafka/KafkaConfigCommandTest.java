package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.KafkaPrograms;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kafka 4.3.1's own {@code kafka-configs.sh} ({@code kafka.admin.ConfigCommand}, in a JVM of its own on Kafka's
 * classpath) against a node: it describes the broker and the brokers' defaults, and describes and alters a topic's
 * configs, printing what it prints against Kafka's broker.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaConfigCommandTest {

  private static RunnelNode node;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static KafkaPrograms.Result kafkaConfigs(String... arguments) throws Exception {
    String[] command = new String[arguments.length + 2];
    command[0] = "--bootstrap-server";
    command[1] = "127.0.0.1:" + node.kafkaPort();
    System.arraycopy(arguments, 0, command, 2, arguments.length);
    return KafkaPrograms.run(Duration.ofSeconds(120), "kafka.admin.ConfigCommand", command);
  }

  @Test
  void when_theBrokersAreDescribed_then_kafkaConfigsPrintsEveryBrokerConfigWithItsSource() throws Exception {
    KafkaPrograms.Result all = kafkaConfigs("--describe", "--entity-type", "brokers", "--all");
    assertEquals(0, all.exitCode(), all.output());
    assertTrue(all.output().contains("All configs for broker 0 are:"), all.output());
    assertTrue(all.output().contains("  log.retention.ms=604800000 sensitive=false"
        + " synonyms={STATIC_BROKER_CONFIG:log.retention.ms=604800000}"), all.output());
    assertTrue(all.output().contains("  num.partitions=" + node.broker().settings().numPartitions() + " sensitive=false"),
        all.output());

    // Without --all only dynamic configs are printed: Runnel's broker settings are all static.
    KafkaPrograms.Result dynamic = kafkaConfigs("--describe", "--entity-type", "brokers");
    assertEquals(0, dynamic.exitCode(), dynamic.output());
    assertTrue(dynamic.output().contains("Dynamic configs for broker 0 are:"), dynamic.output());
    assertTrue(dynamic.output().contains("Default configs for brokers in the cluster are:"), dynamic.output());
  }

  @Test
  void when_aTopicIsAlteredAndDescribed_then_kafkaConfigsShowsItsOverrides() throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        "127.0.0.1:" + node.kafkaPort()))) {
      admin.createTopics(List.of(new NewTopic("configured", 1, (short) 1))).all().get();
    }
    KafkaPrograms.Result altered = kafkaConfigs("--alter", "--entity-type", "topics", "--entity-name", "configured",
        "--add-config", "retention.ms=3600000,cleanup.policy=[compact,delete],message.timestamp.type=LogAppendTime");
    assertEquals(0, altered.exitCode(), altered.output());
    assertTrue(altered.output().contains("Completed updating config for topic configured."), altered.output());

    KafkaPrograms.Result described = kafkaConfigs("--describe", "--entity-type", "topics", "--entity-name",
        "configured");
    assertEquals(0, described.exitCode(), described.output());
    assertTrue(described.output().contains("Dynamic configs for topic configured are:"), described.output());
    assertTrue(described.output().contains("  retention.ms=3600000 sensitive=false"
        + " synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000, DEFAULT_CONFIG:log.retention.ms=604800000}"),
        described.output());
    assertTrue(described.output().contains("  message.timestamp.type=LogAppendTime sensitive=false"),
        described.output());

    KafkaPrograms.Result refused = kafkaConfigs("--alter", "--entity-type", "topics", "--entity-name", "configured",
        "--add-config", "retention.ms=soon");
    assertTrue(refused.exitCode() != 0, refused.output());
    // The tool echoes its arguments first, so the check is on the broker's answer that it prints after them.
    assertTrue(refused.output().contains("InvalidConfigurationException: Invalid value soon for configuration"
        + " retention.ms"), refused.output());
  }
}
