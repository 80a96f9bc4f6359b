package dev.runnel.broker.topic;

import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Range.between;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidList;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigDef.Validator;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.record.internal.CompressionType;

/**
 * Kafka's whole topic-config vocabulary: every name of kafka-clients' {@link TopicConfig} plus the two replication
 * throttle lists Kafka's broker also takes as topic configs, each with the type, default and valid values Kafka's
 * broker gives it ({@code LogConfig}'s {@code ConfigDef}), the broker config it falls back to (Kafka's
 * {@code ServerTopicConfigSynonyms}), and what it does in Runnel. Values are parsed and checked by kafka-clients'
 * own {@link ConfigDef}, so a value Kafka refuses is refused here with Kafka's message.
 *
 * <p>A config either is {@link Effect#HONOURED honoured} or is accepted, stored and described back but has
 * {@link Effect#NO_EFFECT no effect} in Runnel, with the reason in {@link Definition#inRunnel()}; no Kafka name is
 * ever refused for being unknown. A name that is not Kafka's is refused with {@code INVALID_CONFIG}, as Kafka does.
 *
 * <p>Thread-safe: immutable after class initialisation.
 */
public final class TopicConfigDef {

  /** Whether a config changes what Runnel does. */
  public enum Effect { HONOURED, NO_EFFECT }

  /**
   * One topic config.
   *
   * @param key Kafka's definition: name, type, default, validator and documentation
   * @param brokerSynonym the broker config Kafka falls back to when the topic does not set it; null if none
   * @param effect whether Runnel honours it
   * @param inRunnel how Runnel honours it, or why it has no effect
   */
  public record Definition(ConfigDef.ConfigKey key, String brokerSynonym, Effect effect, String inRunnel) {

    public String name() {
      return key.name;
    }

    /** Kafka's default as Kafka's broker describes it. */
    public String kafkaDefault() {
      return ConfigDef.convertToString(key.defaultValue, key.type);
    }
  }

  /** The names of Kafka's two replication throttle lists ({@code QuotaConfig}, not in kafka-clients). */
  public static final String LEADER_REPLICATION_THROTTLED_REPLICAS = "leader.replication.throttled.replicas";
  public static final String FOLLOWER_REPLICATION_THROTTLED_REPLICAS = "follower.replication.throttled.replicas";

  private static final String SEGMENTS =
      "Runnel's log has no segment files: retention and compaction work on each journal write (one producer batch, "
          + "or the appends one group commit gathered), which is finer than any segment";
  private static final String ONE_REPLICA =
      "a Runnel partition has one replica, made durable by its journal; there is no follower to ";

  private static final Map<String, Definition> DEFINITIONS;

  static {
    Builder b = new Builder();
    b.define(TopicConfig.SEGMENT_BYTES_CONFIG, Type.INT, 1024 * 1024 * 1024, atLeast(1024 * 1024),
        TopicConfig.SEGMENT_BYTES_DOC, "log.segment.bytes", Effect.NO_EFFECT, SEGMENTS);
    b.define(TopicConfig.SEGMENT_MS_CONFIG, Type.LONG, 7 * 24 * 3600 * 1000L, atLeast(1),
        TopicConfig.SEGMENT_MS_DOC, "log.roll.ms", Effect.NO_EFFECT, SEGMENTS
            + ", so data never waits for a segment to roll before retention or compaction can reach it");
    b.define(TopicConfig.SEGMENT_JITTER_MS_CONFIG, Type.LONG, 0L, atLeast(0),
        TopicConfig.SEGMENT_JITTER_MS_DOC, "log.roll.jitter.ms", Effect.NO_EFFECT, SEGMENTS);
    b.define(TopicConfig.SEGMENT_INDEX_BYTES_CONFIG, Type.INT, 10 * 1024 * 1024, atLeast(4),
        TopicConfig.SEGMENT_INDEX_BYTES_DOC, "log.index.size.max.bytes", Effect.NO_EFFECT,
        "the offset index is part of the partition's state, one entry per journal write, not a file per segment");
    b.define(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, Type.INT, 4096, atLeast(0),
        TopicConfig.INDEX_INTERVAL_BYTES_DOC, "log.index.interval.bytes", Effect.NO_EFFECT,
        "every journal write has its index entry, so a fetch from any offset finds its batch without scanning");
    b.define(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG, Type.LONG, Long.MAX_VALUE, atLeast(1),
        TopicConfig.FLUSH_MESSAGES_INTERVAL_DOC, "log.flush.interval.messages", Effect.NO_EFFECT,
        "an append is acknowledged once its journal write has completed; the journal decides how it reaches disk");
    b.define(TopicConfig.FLUSH_MS_CONFIG, Type.LONG, Long.MAX_VALUE, atLeast(0),
        TopicConfig.FLUSH_MS_DOC, "log.flush.interval.ms", Effect.NO_EFFECT,
        "an append is acknowledged once its journal write has completed; the journal decides how it reaches disk");
    b.define(TopicConfig.RETENTION_BYTES_CONFIG, Type.LONG, -1L, null,
        TopicConfig.RETENTION_BYTES_DOC, "log.retention.bytes", Effect.HONOURED,
        "each partition's log start moves past its oldest journal writes while the rest is at least this size");
    b.define(TopicConfig.RETENTION_MS_CONFIG, Type.LONG, 7 * 24 * 3600 * 1000L, atLeast(-1),
        TopicConfig.RETENTION_MS_DOC, "log.retention.ms", Effect.HONOURED,
        "each partition's log start moves past journal writes whose newest timestamp is older than this");
    b.define(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Type.INT, 1024 * 1024 + 12, atLeast(0),
        TopicConfig.MAX_MESSAGE_BYTES_DOC, "message.max.bytes", Effect.HONOURED,
        "a larger record batch is refused with MESSAGE_TOO_LARGE");
    b.define(TopicConfig.MAX_DECOMPRESSED_MESSAGE_BYTES_CONFIG, Type.INT, Integer.MAX_VALUE, atLeast(1),
        TopicConfig.MAX_DECOMPRESSED_MESSAGE_BYTES_DOC, null, Effect.NO_EFFECT,
        "records are not bounded one by one; the node's runnel.broker.append-validation.max-decompressed-batch-bytes "
            + "bounds what each compressed batch may decompress to");
    b.define(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, Type.LONG, 60000L, atLeast(0),
        TopicConfig.FILE_DELETE_DELAY_MS_DOC, "log.segment.delete.delay.ms", Effect.NO_EFFECT,
        "there are no segment files; journal events behind the log start are deleted by the journal");
    b.define(TopicConfig.DELETE_RETENTION_MS_CONFIG, Type.LONG, 24 * 3600 * 1000L, atLeast(0),
        TopicConfig.DELETE_RETENTION_MS_DOC, "log.cleaner.delete.retention.ms", Effect.HONOURED,
        "compaction keeps a tombstone that is the newest of its key until it is older than this");
    b.define(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, Type.LONG, 0L, atLeast(0),
        TopicConfig.MIN_COMPACTION_LAG_MS_DOC, "log.cleaner.min.compaction.lag.ms", Effect.HONOURED,
        "compaction leaves journal writes younger than this as they were written");
    b.define(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, Type.LONG, Long.MAX_VALUE, atLeast(1),
        TopicConfig.MAX_COMPACTION_LAG_MS_DOC, "log.cleaner.max.compaction.lag.ms", Effect.HONOURED,
        "a compaction run is due, whatever min.cleanable.dirty.ratio says, once the oldest uncompacted write is "
            + "older than this (checked every runnel.broker.partition.compaction-check-interval)");
    b.define(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, Type.DOUBLE, 0.5, between(0, 1),
        TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_DOC, "log.cleaner.min.cleanable.ratio", Effect.HONOURED,
        "a compaction run is due when the uncompacted bytes are at least this share of the cleanable log");
    b.define(TopicConfig.CLEANUP_POLICY_CONFIG, Type.LIST, TopicConfig.CLEANUP_POLICY_DELETE,
        ValidList.in(TopicConfig.CLEANUP_POLICY_COMPACT, TopicConfig.CLEANUP_POLICY_DELETE),
        TopicConfig.CLEANUP_POLICY_DOC, "log.cleanup.policy", Effect.HONOURED,
        "delete applies retention.ms and retention.bytes; compact keeps the newest record of each key");
    b.define(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, Type.BOOLEAN, false, null,
        TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_DOC, "unclean.leader.election.enable", Effect.NO_EFFECT,
        ONE_REPLICA + "elect: a partition that moves recovers its whole log from the journal");
    b.define(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Type.INT, 1, atLeast(1),
        TopicConfig.MIN_IN_SYNC_REPLICAS_DOC, "min.insync.replicas", Effect.NO_EFFECT,
        ONE_REPLICA + "wait for: acks=all is answered once the journal write completes");
    b.define(TopicConfig.COMPRESSION_TYPE_CONFIG, Type.STRING, "producer",
        ValidString.in("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
        TopicConfig.COMPRESSION_TYPE_DOC, "compression.type", Effect.NO_EFFECT,
        "batches are stored and served as the producer compressed them; recompressing to the topic's codec is "
            + "not done yet");
    b.define(TopicConfig.COMPRESSION_GZIP_LEVEL_CONFIG, Type.INT, CompressionType.GZIP.defaultLevel(),
        CompressionType.GZIP.levelValidator(), TopicConfig.COMPRESSION_GZIP_LEVEL_DOC, "compression.gzip.level",
        Effect.NO_EFFECT, "the broker does not recompress (see compression.type)");
    b.define(TopicConfig.COMPRESSION_LZ4_LEVEL_CONFIG, Type.INT, CompressionType.LZ4.defaultLevel(),
        CompressionType.LZ4.levelValidator(), TopicConfig.COMPRESSION_LZ4_LEVEL_DOC, "compression.lz4.level",
        Effect.NO_EFFECT, "the broker does not recompress (see compression.type)");
    b.define(TopicConfig.COMPRESSION_ZSTD_LEVEL_CONFIG, Type.INT, CompressionType.ZSTD.defaultLevel(),
        CompressionType.ZSTD.levelValidator(), TopicConfig.COMPRESSION_ZSTD_LEVEL_DOC, "compression.zstd.level",
        Effect.NO_EFFECT, "the broker does not recompress (see compression.type)");
    b.define(TopicConfig.PREALLOCATE_CONFIG, Type.BOOLEAN, false, null,
        TopicConfig.PREALLOCATE_DOC, "log.preallocate", Effect.NO_EFFECT,
        "there are no segment files to preallocate; the journal manages its storage");
    b.define(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, Type.STRING, "CreateTime",
        ValidString.in("CreateTime", "LogAppendTime"),
        TopicConfig.MESSAGE_TIMESTAMP_TYPE_DOC, "log.message.timestamp.type", Effect.HONOURED,
        "LogAppendTime stamps each stored batch with the broker's time at append (and refuses a producer's "
            + "LogAppendTime batch); CreateTime keeps the producer's timestamps within the two bounds below");
    b.define(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, Type.LONG, Long.MAX_VALUE, atLeast(0),
        TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_DOC, "log.message.timestamp.before.max.ms", Effect.HONOURED,
        "on a CreateTime topic an append with a record further before the broker's time is refused with "
            + "INVALID_TIMESTAMP");
    b.define(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG, Type.LONG, 3600 * 1000L, atLeast(0),
        TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_DOC, "log.message.timestamp.after.max.ms", Effect.HONOURED,
        "on a CreateTime topic an append with a record further after the broker's time is refused with "
            + "INVALID_TIMESTAMP");
    defineDeprecatedDownconversion(b);
    b.define(TopicConfig.ERRORS_DEADLETTERQUEUE_GROUP_ENABLE_CONFIG, Type.BOOLEAN, false, null,
        TopicConfig.ERRORS_DEADLETTERQUEUE_GROUP_ENABLE_DOC, null, Effect.NO_EFFECT,
        "Runnel has no share groups, which are what write to a dead-letter queue");
    b.define(LEADER_REPLICATION_THROTTLED_REPLICAS, Type.LIST, "", ThrottledReplicas.INSTANCE,
        "A list of replicas for which log replication should be throttled on the leader side, as "
            + "[PartitionId]:[BrokerId],[PartitionId]:[BrokerId]:... or the wildcard '*' for all replicas.",
        null, Effect.NO_EFFECT, ONE_REPLICA + "replicate to");
    b.define(FOLLOWER_REPLICATION_THROTTLED_REPLICAS, Type.LIST, "", ThrottledReplicas.INSTANCE,
        "A list of replicas for which log replication should be throttled on the follower side, as "
            + "[PartitionId]:[BrokerId],[PartitionId]:[BrokerId]:... or the wildcard '*' for all replicas.",
        null, Effect.NO_EFFECT, ONE_REPLICA + "replicate to");
    b.define(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, Type.BOOLEAN, false, null,
        TopicConfig.REMOTE_LOG_STORAGE_ENABLE_DOC, null, Effect.HONOURED,
        "true is refused as by a Kafka broker without tiered storage: the journal holds the whole log");
    for (String name : List.of(TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG, TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG)) {
      b.define(name, Type.LONG, -2L, atLeast(-2),
          name.endsWith("ms") ? TopicConfig.LOCAL_LOG_RETENTION_MS_DOC : TopicConfig.LOCAL_LOG_RETENTION_BYTES_DOC,
          "log." + name, Effect.NO_EFFECT, "there is no tiered storage: the journal holds the whole log");
    }
    b.define(TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG, Type.BOOLEAN, false, null,
        TopicConfig.REMOTE_LOG_COPY_DISABLE_DOC, null, Effect.NO_EFFECT, "there is no tiered storage");
    b.define(TopicConfig.REMOTE_COPY_LAG_MS_CONFIG, Type.LONG, 0L, atLeast(-1),
        TopicConfig.REMOTE_COPY_LAG_MS_DOC, null, Effect.NO_EFFECT, "there is no tiered storage");
    b.define(TopicConfig.REMOTE_COPY_LAG_BYTES_CONFIG, Type.LONG, 0L, atLeast(-1),
        TopicConfig.REMOTE_COPY_LAG_BYTES_DOC, null, Effect.NO_EFFECT,
        "there is no tiered storage");
    b.define(TopicConfig.REMOTE_LOG_DELETE_ON_DISABLE_CONFIG, Type.BOOLEAN, false, null,
        TopicConfig.REMOTE_LOG_DELETE_ON_DISABLE_DOC, null, Effect.NO_EFFECT, "there is no tiered storage");
    DEFINITIONS = Collections.unmodifiableMap(b.definitions);
  }

  @SuppressWarnings("deprecation")
  private static void defineDeprecatedDownconversion(Builder b) {
    // Kafka 4 cannot down-convert either: the name stays accepted until Kafka 5 removes it.
    b.define(TopicConfig.MESSAGE_DOWNCONVERSION_ENABLE_CONFIG, Type.BOOLEAN, true, null,
        TopicConfig.MESSAGE_DOWNCONVERSION_ENABLE_DOC, "log.message.downconversion.enable", Effect.NO_EFFECT,
        "clients older than message format v2 are not served, as in Kafka 4");
  }

  private TopicConfigDef() {}

  /** Every topic config name, sorted. */
  public static Set<String> names() {
    return DEFINITIONS.keySet();
  }

  /** Every topic config by name, sorted. */
  public static Map<String, Definition> definitions() {
    return DEFINITIONS;
  }

  public static Optional<Definition> definition(String name) {
    return Optional.ofNullable(DEFINITIONS.get(name));
  }

  /**
   * The value of a topic config parsed to its Kafka type ({@code Long}, {@code Integer}, {@code Double},
   * {@code Boolean}, {@code String} or a {@code List<String>}) and checked against Kafka's valid values.
   *
   * @throws InvalidConfigurationException naming the config, for an unknown name or an invalid value
   */
  public static Object parse(String name, String value) {
    Definition definition = DEFINITIONS.get(name);
    if (definition == null) {
      throw new InvalidConfigurationException("Unknown topic config name: " + name);
    }
    if (value == null) {
      throw new InvalidConfigurationException("Null value not supported for topic configs: " + name);
    }
    try {
      Object parsed = ConfigDef.parseType(name, value, definition.key().type);
      if (definition.key().validator != null) {
        definition.key().validator.ensureValid(name, parsed);
      }
      return parsed;
    } catch (ConfigException e) {
      throw new InvalidConfigurationException(e.getMessage());
    }
  }

  /** Kafka's {@code ThrottledReplicaListValidator}: {@code *}, or {@code partition:broker} pairs. */
  private enum ThrottledReplicas implements Validator {
    INSTANCE;

    @Override
    public void ensureValid(String name, Object value) {
      List<?> replicas = (List<?>) value;
      boolean wildcard = replicas.size() == 1 && "*".equals(String.valueOf(replicas.get(0)).trim());
      if (!wildcard && !replicas.stream().allMatch(r -> String.valueOf(r).trim().matches("[0-9]+:[0-9]+"))) {
        throw new ConfigException(name, value,
            name + " must be the literal '*' or a list of replicas in the following format: "
                + "[partitionId]:[brokerId],[partitionId]:[brokerId],...");
      }
    }

    @Override
    public String toString() {
      return "[partitionId]:[brokerId],[partitionId]:[brokerId],...";
    }
  }

  private static final class Builder {
    final Map<String, Definition> definitions = new TreeMap<>();

    void define(String name, Type type, Object defaultValue, Validator validator, String documentation,
        String brokerSynonym, Effect effect, String inRunnel) {
      ConfigDef.ConfigKey key = new ConfigDef().define(name, type, defaultValue, validator, Importance.MEDIUM,
          documentation).configKeys().get(name);
      definitions.put(name, new Definition(key, brokerSynonym, effect, inRunnel));
    }
  }
}
