package dev.runnel.broker.topic;

import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.record.TimestampType;

/**
 * A topic's effective configuration: the broker's defaults ({@code runnel.broker.topic-defaults}) overridden by
 * the configs set on the topic. Keys and value rules are Kafka's.
 *
 * @param retentionMs how long a batch is kept after its newest record's timestamp; -1 keeps forever
 * @param retentionBytes the size a partition is trimmed to; -1 means no limit
 * @param cleanupPolicy {@code delete}, {@code compact} or both
 * @param maxMessageBytes the largest record batch a producer may append
 * @param minInsyncReplicas replicas that must have a write for {@code acks=all}
 * @param compressionType the codec the topic wants; {@code producer} keeps what the producer sent
 * @param segmentBytes the size of a log segment
 * @param deleteRetentionMs how long a tombstone stays in a compacted log before compaction removes it
 * @param minCompactionLagMs how old a record must be before compaction may remove it
 * @param messageTimestampType whose time a record carries: the producer's (CreateTime) or the broker's at append
 *     (LogAppendTime)
 * @param messageTimestampBeforeMaxMs how far before the broker's time a CreateTime record may be (KIP-937)
 * @param messageTimestampAfterMaxMs how far after the broker's time a CreateTime record may be (KIP-937)
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
    long messageTimestampAfterMaxMs) {

  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String CLEANUP_POLICY = "cleanup.policy";
  public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
  public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
  public static final String COMPRESSION_TYPE = "compression.type";
  public static final String SEGMENT_BYTES = "segment.bytes";
  public static final String DELETE_RETENTION_MS = "delete.retention.ms";
  public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
  public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
  public static final String MESSAGE_TIMESTAMP_BEFORE_MAX_MS = "message.timestamp.before.max.ms";
  public static final String MESSAGE_TIMESTAMP_AFTER_MAX_MS = "message.timestamp.after.max.ms";

  public static final Set<String> KEYS = Set.of(
      RETENTION_MS, RETENTION_BYTES, CLEANUP_POLICY, MAX_MESSAGE_BYTES, MIN_INSYNC_REPLICAS, COMPRESSION_TYPE,
      SEGMENT_BYTES, DELETE_RETENTION_MS, MIN_COMPACTION_LAG_MS,
      MESSAGE_TIMESTAMP_TYPE, MESSAGE_TIMESTAMP_BEFORE_MAX_MS, MESSAGE_TIMESTAMP_AFTER_MAX_MS);

  private static final Set<String> CLEANUP_POLICIES = Set.of("delete", "compact", "compact,delete", "delete,compact");
  private static final Set<String> COMPRESSION_TYPES =
      Set.of("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd");

  /** The broker's defaults for topics that set nothing, read from a {@code topic-defaults} block. */
  public static Map<String, String> defaults(Config topicDefaults) {
    Map<String, String> defaults = new LinkedHashMap<>();
    for (String key : KEYS) {
      defaults.put(key, topicDefaults.getString("\"" + key + "\""));
    }
    validate(defaults);
    return Map.copyOf(defaults);
  }

  /**
   * Checks topic config overrides against Kafka's known keys and value rules.
   *
   * @throws InvalidConfigurationException naming the first key that is unknown or has an invalid value
   */
  public static void validate(Map<String, String> configs) {
    for (Map.Entry<String, String> entry : configs.entrySet()) {
      String key = entry.getKey();
      String value = entry.getValue();
      if (!KEYS.contains(key)) {
        throw new InvalidConfigurationException("Unknown topic config name: " + key);
      }
      if (value == null) {
        throw new InvalidConfigurationException("Invalid value null for configuration " + key);
      }
      switch (key) {
        case RETENTION_MS, RETENTION_BYTES -> checkLong(key, value, -1);
        case DELETE_RETENTION_MS, MIN_COMPACTION_LAG_MS -> checkLong(key, value, 0);
        case MESSAGE_TIMESTAMP_BEFORE_MAX_MS, MESSAGE_TIMESTAMP_AFTER_MAX_MS -> checkLong(key, value, 0);
        case MESSAGE_TIMESTAMP_TYPE -> {
          if (!value.equals("CreateTime") && !value.equals("LogAppendTime")) {
            throw invalid(key, value, "must be CreateTime or LogAppendTime");
          }
        }
        case MAX_MESSAGE_BYTES -> checkInt(key, value, 0);
        case MIN_INSYNC_REPLICAS -> checkInt(key, value, 1);
        case SEGMENT_BYTES -> checkInt(key, value, 14);
        case CLEANUP_POLICY -> {
          if (!CLEANUP_POLICIES.contains(value.replace(" ", ""))) {
            throw invalid(key, value, "must be delete, compact or compact,delete");
          }
        }
        case COMPRESSION_TYPE -> {
          if (!COMPRESSION_TYPES.contains(value)) {
            throw invalid(key, value, "must be one of " + COMPRESSION_TYPES);
          }
        }
        default -> throw new IllegalStateException("no rule for " + key);
      }
    }
  }

  /** The effective configuration of a topic with these overrides on top of the broker's defaults. */
  public static TopicConfig resolve(Map<String, String> defaults, Map<String, String> overrides) {
    Map<String, String> merged = new LinkedHashMap<>(defaults);
    merged.putAll(overrides);
    return new TopicConfig(
        Long.parseLong(merged.get(RETENTION_MS).trim()),
        Long.parseLong(merged.get(RETENTION_BYTES).trim()),
        merged.get(CLEANUP_POLICY).replace(" ", ""),
        Integer.parseInt(merged.get(MAX_MESSAGE_BYTES)),
        Integer.parseInt(merged.get(MIN_INSYNC_REPLICAS)),
        merged.get(COMPRESSION_TYPE),
        Integer.parseInt(merged.get(SEGMENT_BYTES)),
        Long.parseLong(merged.get(DELETE_RETENTION_MS).trim()),
        Long.parseLong(merged.get(MIN_COMPACTION_LAG_MS).trim()),
        TimestampType.forName(merged.get(MESSAGE_TIMESTAMP_TYPE)),
        Long.parseLong(merged.get(MESSAGE_TIMESTAMP_BEFORE_MAX_MS).trim()),
        Long.parseLong(merged.get(MESSAGE_TIMESTAMP_AFTER_MAX_MS).trim()));
  }

  /** Whether retention by time and size applies ({@code delete} or {@code compact,delete}). */
  public boolean delete() {
    return cleanupPolicy.contains("delete");
  }

  /** Whether the log is compacted ({@code compact} or {@code compact,delete}). */
  public boolean compact() {
    return cleanupPolicy.contains("compact");
  }

  private static void checkLong(String key, String value, long min) {
    long parsed;
    try {
      parsed = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw invalid(key, value, "must be a whole number");
    }
    if (parsed < min) {
      throw invalid(key, value, "must be at least " + min);
    }
  }

  private static void checkInt(String key, String value, int min) {
    int parsed;
    try {
      parsed = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw invalid(key, value, "must be a whole number that fits in 32 bits");
    }
    if (parsed < min) {
      throw invalid(key, value, "must be at least " + min);
    }
  }

  private static InvalidConfigurationException invalid(String key, String value, String rule) {
    return new InvalidConfigurationException("Invalid value " + value + " for configuration " + key + ": " + rule);
  }
}
