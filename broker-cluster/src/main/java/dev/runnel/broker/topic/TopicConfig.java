package dev.runnel.broker.topic;

import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.record.TimestampType;

/**
 * A topic's effective configuration: Kafka's defaults, overridden by the broker's ({@code runnel.broker.topic-defaults}),
 * overridden by the configs set on the topic. Names, types and value rules are Kafka's ({@link TopicConfigDef}); this
 * record holds the values the broker acts on.
 *
 * @param retentionMs how long a batch is kept after its newest record's timestamp; -1 keeps forever
 * @param retentionBytes the size a partition is trimmed to; -1 means no limit
 * @param cleanupPolicy {@code delete}, {@code compact}, both (comma-separated) or none (empty)
 * @param maxMessageBytes the largest record batch a producer may append
 * @param minInsyncReplicas replicas that must have a write for {@code acks=all}
 * @param compressionType the codec the topic wants; {@code producer} keeps what the producer sent
 * @param segmentBytes the size of a log segment
 * @param deleteRetentionMs how long a tombstone stays in a compacted log before compaction removes it
 * @param minCompactionLagMs how old a record must be before compaction may remove it
 * @param messageTimestampType {@code CreateTime} keeps the producer's timestamps, {@code LogAppendTime} the broker's
 * @param messageTimestampBeforeMaxMs how far a CreateTime timestamp may lie before the broker's clock
 * @param messageTimestampAfterMaxMs how far a CreateTime timestamp may lie after the broker's clock
 * @param maxCompactionLagMs how old an uncompacted record may get before a compaction run is due regardless of the
 *     dirty ratio
 * @param minCleanableDirtyRatio the share of uncompacted bytes in the cleanable log that makes a compaction run due
 */
public record TopicConfig(
    long retentionMs,
    long retentionBytes,
    String cleanupPolicy,
    int maxMessageBytes,
    int minInsyncReplicas,
    String compressionType,
    int segmentBytes,
    long deleteRetentionMs,
    long minCompactionLagMs,
    TimestampType messageTimestampType,
    long messageTimestampBeforeMaxMs,
    long messageTimestampAfterMaxMs,
    long maxCompactionLagMs,
    double minCleanableDirtyRatio) {

  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String CLEANUP_POLICY = "cleanup.policy";
  public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
  public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
  public static final String COMPRESSION_TYPE = "compression.type";
  public static final String SEGMENT_BYTES = "segment.bytes";
  public static final String DELETE_RETENTION_MS = "delete.retention.ms";
  public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
  public static final String MAX_COMPACTION_LAG_MS = "max.compaction.lag.ms";
  public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
  public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
  public static final String MESSAGE_TIMESTAMP_BEFORE_MAX_MS = "message.timestamp.before.max.ms";
  public static final String MESSAGE_TIMESTAMP_AFTER_MAX_MS = "message.timestamp.after.max.ms";
  public static final String REMOTE_STORAGE_ENABLE = "remote.storage.enable";

  /** Every topic config name Kafka knows, sorted. */
  public static final Set<String> KEYS = TopicConfigDef.names();

  /**
   * The broker's value of every topic config, read from a {@code topic-defaults} block: what the block sets (Kafka's
   * dotted names, quoted), and Kafka's default for the rest.
   *
   * @throws InvalidConfigurationException for a name that is not Kafka's or a value Kafka refuses
   */
  public static Map<String, String> defaults(Config topicDefaults) {
    Set<String> unknown = new TreeSet<>(topicDefaults.root().keySet());
    unknown.removeAll(KEYS);
    if (!unknown.isEmpty()) {
      throw new InvalidConfigurationException("Unknown topic config name in runnel.broker.topic-defaults: " + unknown
          + " (Kafka's dotted names must be quoted, as in \"retention.ms\")");
    }
    Map<String, String> given = new LinkedHashMap<>();
    for (String key : topicDefaults.root().keySet()) {
      given.put(key, topicDefaults.getString("\"" + key + "\""));
    }
    validate(given);
    Map<String, String> defaults = new LinkedHashMap<>();
    TopicConfigDef.definitions().forEach((name, definition) ->
        defaults.put(name, given.getOrDefault(name, definition.kafkaDefault())));
    validate(defaults);
    return Map.copyOf(defaults);
  }

  /**
   * Checks topic configs against Kafka's names and value rules, and the rules Kafka's broker applies across
   * configs.
   *
   * @throws InvalidConfigurationException naming the first config that is unknown or has an invalid value
   */
  public static void validate(Map<String, String> configs) {
    for (Map.Entry<String, String> entry : configs.entrySet()) {
      Object value = TopicConfigDef.parse(entry.getKey(), entry.getValue());
      if (REMOTE_STORAGE_ENABLE.equals(entry.getKey()) && Boolean.TRUE.equals(value)) {
        // What a Kafka broker answers while remote.log.storage.system.enable is off: Runnel has no tiered storage.
        throw new InvalidConfigurationException("Invalid value true for configuration " + REMOTE_STORAGE_ENABLE
            + ": Tiered Storage functionality is disabled in the broker. "
            + "Topic cannot be configured with remote log storage.");
      }
    }
    if (configs.containsKey(MIN_COMPACTION_LAG_MS) && configs.containsKey(MAX_COMPACTION_LAG_MS)) {
      long min = (Long) TopicConfigDef.parse(MIN_COMPACTION_LAG_MS, configs.get(MIN_COMPACTION_LAG_MS));
      long max = (Long) TopicConfigDef.parse(MAX_COMPACTION_LAG_MS, configs.get(MAX_COMPACTION_LAG_MS));
      if (min > max) {
        throw new InvalidConfigurationException("conflict topic config setting " + MIN_COMPACTION_LAG_MS + " ("
            + min + ") > " + MAX_COMPACTION_LAG_MS + " (" + max + ")");
      }
    }
  }

  /**
   * The effective configuration of a topic with these overrides on top of the broker's defaults; a config neither
   * sets takes Kafka's default.
   */
  public static TopicConfig resolve(Map<String, String> defaults, Map<String, String> overrides) {
    Map<String, String> merged = new LinkedHashMap<>(defaults);
    merged.putAll(overrides);
    Values values = new Values(merged);
    @SuppressWarnings("unchecked")
    List<String> cleanupPolicy = (List<String>) values.get(CLEANUP_POLICY);
    return new TopicConfig(
        (Long) values.get(RETENTION_MS),
        (Long) values.get(RETENTION_BYTES),
        String.join(",", cleanupPolicy),
        (Integer) values.get(MAX_MESSAGE_BYTES),
        (Integer) values.get(MIN_INSYNC_REPLICAS),
        (String) values.get(COMPRESSION_TYPE),
        (Integer) values.get(SEGMENT_BYTES),
        (Long) values.get(DELETE_RETENTION_MS),
        (Long) values.get(MIN_COMPACTION_LAG_MS),
        TimestampType.forName((String) values.get(MESSAGE_TIMESTAMP_TYPE)),
        (Long) values.get(MESSAGE_TIMESTAMP_BEFORE_MAX_MS),
        (Long) values.get(MESSAGE_TIMESTAMP_AFTER_MAX_MS),
        (Long) values.get(MAX_COMPACTION_LAG_MS),
        (Double) values.get(MIN_CLEANABLE_DIRTY_RATIO));
  }

  /** Whether retention by time and size applies ({@code delete} or {@code compact,delete}). */
  public boolean delete() {
    return List.of(cleanupPolicy.split(",")).contains("delete");
  }

  /** Whether the log is compacted ({@code compact} or {@code compact,delete}). */
  public boolean compact() {
    return List.of(cleanupPolicy.split(",")).contains("compact");
  }

  /** Typed values of a merged config map, falling back to Kafka's default for a name it lacks. */
  private record Values(Map<String, String> merged) {
    Object get(String name) {
      String value = merged.get(name);
      return TopicConfigDef.parse(name,
          value != null ? value : TopicConfigDef.definition(name).orElseThrow().kafkaDefault());
    }
  }
}
