package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.topic.TopicConfig;
import dev.runnel.broker.topic.TopicConfigDef;
import dev.runnel.broker.topic.TopicMetadata;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.clients.admin.AlterConfigOp.OpType;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsResponse;

/**
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs. A topic answers every config of Kafka's vocabulary
 * ({@link TopicConfigDef}) with its value and where it comes from, as Kafka's broker does: {@code TOPIC_CONFIG} when
 * the topic sets it, {@code STATIC_BROKER_CONFIG} when the node's {@code runnel.broker.topic-defaults} sets a value
 * other than Kafka's, {@code DEFAULT_CONFIG} otherwise; with synonyms (the topic's value, the broker config it falls
 * back to, Kafka's default) and, from v3, its type and documentation. Changes go through the topic registry and
 * apply to running partitions without a restart (they read their topic's configs at every append and every
 * retention and compaction check).
 *
 * <p>The node's own resource ({@code BROKER}, named by its node id) answers {@link BrokerConfigs}: Kafka's broker
 * config names with the values this node runs with, all read-only, since they are HOCON settings read at start;
 * altering them is refused with {@code INVALID_REQUEST}.
 *
 * <p>IncrementalAlterConfigs reads the topic's configs, applies the operations and stores the result; two such
 * requests racing on one topic can lose one's change, as the registry replaces a topic's configs whole.
 */
final class ConfigsHandler {

  /** A config's value and where it comes from. */
  record Entry(String value, ConfigSource source) {}

  private final Broker broker;
  private final BrokerConfigs brokerConfigs;

  ConfigsHandler(Broker broker, BrokerConfigs brokerConfigs) {
    this.broker = broker;
    this.brokerConfigs = brokerConfigs;
  }

  /** The configs of a topic as Kafka shows them, by name. */
  static Map<String, Entry> effective(Broker broker, TopicMetadata topic) {
    Map<String, Entry> configs = new TreeMap<>();
    broker.topicDefaults().forEach((name, value) -> configs.put(name, topic.configs().containsKey(name)
        ? new Entry(topic.configs().get(name), ConfigSource.TOPIC_CONFIG)
        : new Entry(value, defaultSource(name, value))));
    return configs;
  }

  /** Kafka's source of a value the topic does not set: the broker's own setting, or Kafka's built-in default. */
  private static ConfigSource defaultSource(String name, String brokerValue) {
    return TopicConfigDef.definition(name).map(TopicConfigDef.Definition::kafkaDefault).orElseThrow()
        .equals(brokerValue) ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
  }

  CompletionStage<AbstractResponse> describeConfigs(KafkaRequest request) {
    DescribeConfigsRequest body = (DescribeConfigsRequest) request.body();
    boolean synonyms = body.data().includeSynonyms();
    boolean documentation = body.data().includeDocumentation();
    List<CompletableFuture<DescribeConfigsResult>> results = new ArrayList<>();
    for (DescribeConfigsResource resource : body.data().resources()) {
      results.add(describe(resource, synonyms, documentation).toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      DescribeConfigsResponseData data = new DescribeConfigsResponseData();
      results.forEach(result -> data.results().add(result.join()));
      return new DescribeConfigsResponse(data);
    });
  }

  private CompletionStage<DescribeConfigsResult> describe(
      DescribeConfigsResource resource, boolean synonyms, boolean documentation) {
    DescribeConfigsResult result = new DescribeConfigsResult()
        .setResourceType(resource.resourceType())
        .setResourceName(resource.resourceName());
    List<String> keys = resource.configurationKeys();
    if (resource.resourceType() == ConfigResource.Type.BROKER.id()) {
      return CompletableFuture.completedFuture(describeBroker(result, keys, synonyms, documentation));
    }
    if (resource.resourceType() != ConfigResource.Type.TOPIC.id()) {
      return CompletableFuture.completedFuture(failed(result, new InvalidRequestException(
          "Only topic and broker configs can be described; resource type " + resource.resourceType()
              + " is not supported")));
    }
    return broker.lookupTopic(resource.resourceName()).handle((found, failure) -> {
      if (failure != null) {
        return failed(result, failure);
      }
      if (found.isEmpty()) {
        return failed(result, new UnknownTopicOrPartitionException(
            "Topic '" + resource.resourceName() + "' does not exist."));
      }
      effective(broker, found.get()).forEach((name, entry) -> {
        if (keys == null || keys.isEmpty() || keys.contains(name)) {
          result.configs().add(topicConfig(name, entry, synonyms, documentation));
        }
      });
      return result.setErrorCode(Errors.NONE.code());
    });
  }

  private DescribeConfigsResourceResult topicConfig(
      String name, Entry entry, boolean synonyms, boolean documentation) {
    TopicConfigDef.Definition definition = TopicConfigDef.definition(name).orElseThrow();
    DescribeConfigsResourceResult config = new DescribeConfigsResourceResult()
        .setName(name)
        .setValue(entry.value())
        .setReadOnly(false)
        .setConfigSource(entry.source().id())
        .setIsSensitive(false)
        .setConfigType(ConfigType.valueOf(definition.key().type.name()).id());
    if (documentation) {
      config.setDocumentation(definition.key().documentation + " In Runnel: " + definition.inRunnel() + ".");
    }
    if (synonyms) {
      // Kafka's order: the topic's own value, then the broker config it falls back to, then the built-in default.
      if (entry.source() == ConfigSource.TOPIC_CONFIG) {
        config.synonyms().add(synonym(name, entry.value(), ConfigSource.TOPIC_CONFIG));
      }
      String brokerName = definition.brokerSynonym() != null ? definition.brokerSynonym() : name;
      String brokerValue = broker.topicDefaults().get(name);
      if (defaultSource(name, brokerValue) == ConfigSource.STATIC_BROKER_CONFIG) {
        config.synonyms().add(synonym(brokerName, brokerValue, ConfigSource.STATIC_BROKER_CONFIG));
      }
      config.synonyms().add(synonym(brokerName, definition.kafkaDefault(), ConfigSource.DEFAULT_CONFIG));
    }
    return config;
  }

  private DescribeConfigsResult describeBroker(
      DescribeConfigsResult result, List<String> keys, boolean synonyms, boolean documentation) {
    String name = result.resourceName();
    if (name.isEmpty()) {
      // The cluster-wide dynamic defaults: Runnel has none, every broker setting is static.
      return result.setErrorCode(Errors.NONE.code());
    }
    if (!name.equals(String.valueOf(brokerConfigs.nodeId()))) {
      return failed(result, new InvalidRequestException(
          "Unexpected broker id, expected " + brokerConfigs.nodeId() + " but received " + name));
    }
    brokerConfigs.configs().forEach((configName, config) -> {
      if (keys == null || keys.isEmpty() || keys.contains(configName)) {
        DescribeConfigsResourceResult entry = new DescribeConfigsResourceResult()
            .setName(configName)
            .setValue(config.value())
            .setReadOnly(true)
            .setConfigSource(ConfigSource.STATIC_BROKER_CONFIG.id())
            .setIsSensitive(false)
            .setConfigType(config.type().id());
        if (documentation) {
          entry.setDocumentation(config.documentation());
        }
        if (synonyms) {
          entry.synonyms().add(synonym(configName, config.value(), ConfigSource.STATIC_BROKER_CONFIG));
        }
        result.configs().add(entry);
      }
    });
    return result.setErrorCode(Errors.NONE.code());
  }

  private static DescribeConfigsSynonym synonym(String name, String value, ConfigSource source) {
    return new DescribeConfigsSynonym().setName(name).setValue(value).setSource(source.id());
  }

  private static DescribeConfigsResult failed(DescribeConfigsResult result, Throwable failure) {
    ApiError error = KafkaErrors.of(failure);
    return result.setErrorCode(error.error().code()).setErrorMessage(error.message());
  }

  /** Kafka's legacy AlterConfigs: each topic's configs are replaced by those given; the rest return to defaults. */
  CompletionStage<AbstractResponse> alterConfigs(KafkaRequest request) {
    AlterConfigsRequestData body = ((AlterConfigsRequest) request.body()).data();
    List<CompletableFuture<AlterConfigsResourceResponse>> results = new ArrayList<>();
    for (AlterConfigsRequestData.AlterConfigsResource resource : body.resources()) {
      AlterConfigsResourceResponse response = new AlterConfigsResourceResponse()
          .setResourceType(resource.resourceType())
          .setResourceName(resource.resourceName());
      Map<String, String> configs = new HashMap<>();
      resource.configs().forEach(config -> configs.put(config.name(), config.value()));
      results.add(change(resource.resourceType(), resource.resourceName(), current -> configs, body.validateOnly())
          .handle((done, failure) -> {
            ApiError error = failure == null ? ApiError.NONE : KafkaErrors.of(failure);
            return response.setErrorCode(error.error().code()).setErrorMessage(error.message());
          })
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      AlterConfigsResponseData data = new AlterConfigsResponseData();
      results.forEach(result -> data.responses().add(result.join()));
      return new AlterConfigsResponse(data);
    });
  }

  /**
   * Kafka's IncrementalAlterConfigs: SET and DELETE (back to the default) on any topic config; APPEND and SUBTRACT
   * on the list configs ({@code cleanup.policy}, the replication throttle lists), starting from the broker's default
   * when the topic does not set it.
   */
  CompletionStage<AbstractResponse> incrementalAlterConfigs(KafkaRequest request) {
    IncrementalAlterConfigsRequestData body = ((IncrementalAlterConfigsRequest) request.body()).data();
    List<CompletableFuture<IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse>> results =
        new ArrayList<>();
    for (IncrementalAlterConfigsRequestData.AlterConfigsResource resource : body.resources()) {
      IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse response =
          new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
              .setResourceType(resource.resourceType())
              .setResourceName(resource.resourceName());
      List<IncrementalAlterConfigsRequestData.AlterableConfig> operations = new ArrayList<>(resource.configs());
      results.add(change(resource.resourceType(), resource.resourceName(),
              current -> applyOperations(current, operations), body.validateOnly())
          .handle((done, failure) -> {
            ApiError error = failure == null ? ApiError.NONE : KafkaErrors.of(failure);
            return response.setErrorCode(error.error().code()).setErrorMessage(error.message());
          })
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      IncrementalAlterConfigsResponseData data = new IncrementalAlterConfigsResponseData();
      results.forEach(result -> data.responses().add(result.join()));
      return new IncrementalAlterConfigsResponse(data);
    });
  }

  /**
   * Replaces a topic's configs by {@code change} of its current ones; with {@code validateOnly} only checks the
   * result, as Kafka does.
   */
  private CompletionStage<Void> change(byte resourceType, String name,
      Function<Map<String, String>, Map<String, String>> change, boolean validateOnly) {
    if (resourceType == ConfigResource.Type.BROKER.id()) {
      return CompletableFuture.failedFuture(new InvalidRequestException(
          "Broker configs are read-only in Runnel: they are the node's runnel.* settings, read at start"));
    }
    if (resourceType != ConfigResource.Type.TOPIC.id()) {
      return CompletableFuture.failedFuture(new InvalidRequestException(
          "Only topic configs can be altered; resource type " + resourceType + " is not supported"));
    }
    return broker.lookupTopic(name).thenCompose(found -> {
      if (found.isEmpty()) {
        return CompletableFuture.failedFuture(
            new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist."));
      }
      Map<String, String> next = change.apply(found.get().configs());
      TopicConfig.validate(next);
      if (validateOnly) {
        return CompletableFuture.completedFuture(null);
      }
      return broker.alterConfigs(name, next).thenApply(topic -> (Void) null);
    });
  }

  private Map<String, String> applyOperations(
      Map<String, String> current, List<IncrementalAlterConfigsRequestData.AlterableConfig> operations) {
    Map<String, String> next = new HashMap<>(current);
    for (IncrementalAlterConfigsRequestData.AlterableConfig config : operations) {
      OpType operation = OpType.forId(config.configOperation());
      if (operation == null) {
        throw new InvalidRequestException("Unknown config operation " + config.configOperation());
      }
      switch (operation) {
        case SET -> next.put(config.name(), config.value());
        case DELETE -> next.remove(config.name());
        case APPEND, SUBTRACT -> {
          if (TopicConfigDef.definition(config.name()).filter(d -> d.key().type == ConfigDef.Type.LIST).isEmpty()) {
            throw new InvalidConfigurationException(
                "Config " + config.name() + " is not a list; only SET and DELETE apply to it");
          }
          // As Kafka does, a list the topic does not set starts from the broker's default.
          String list = next.getOrDefault(config.name(), broker.topicDefaults().get(config.name()));
          next.put(config.name(), listOperation(operation, list, config.value()));
        }
        default -> throw new IllegalStateException("no rule for " + operation);
      }
    }
    return next;
  }

  /** A list config after APPEND or SUBTRACT of comma-separated values; an absent value counts as empty. */
  private static String listOperation(OpType operation, String current, String value) {
    Set<String> values = new LinkedHashSet<>();
    if (current != null && !current.isBlank()) {
      values.addAll(Arrays.asList(current.replace(" ", "").split(",")));
    }
    List<String> given = value == null ? List.of() : Arrays.asList(value.replace(" ", "").split(","));
    if (operation == OpType.APPEND) {
      values.addAll(given);
    } else {
      values.removeAll(given);
    }
    return String.join(",", values);
  }
}
