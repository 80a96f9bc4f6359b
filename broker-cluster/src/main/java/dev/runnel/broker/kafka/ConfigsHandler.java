package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.topic.TopicConfig;
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
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs of topics: every topic config Runnel knows, with its
 * value and whether the topic sets it ({@code TOPIC_CONFIG}) or takes the broker's default ({@code DEFAULT_CONFIG}).
 * Changes go through the topic registry and apply to running partitions without a restart (they read their topic's
 * configs at every append and every retention and compaction check). Broker resources are refused: the broker's
 * settings are HOCON, not Kafka broker configs.
 *
 * <p>IncrementalAlterConfigs reads the topic's configs, applies the operations and stores the result; two such
 * requests racing on one topic can lose one's change, as the registry replaces a topic's configs whole.
 */
final class ConfigsHandler {

  /** A config's value and where it comes from. */
  record Entry(String value, ConfigSource source) {}

  private static final Map<String, ConfigType> TYPES = Map.of(
      TopicConfig.RETENTION_MS, ConfigType.LONG,
      TopicConfig.RETENTION_BYTES, ConfigType.LONG,
      TopicConfig.CLEANUP_POLICY, ConfigType.LIST,
      TopicConfig.MAX_MESSAGE_BYTES, ConfigType.INT,
      TopicConfig.MIN_INSYNC_REPLICAS, ConfigType.INT,
      TopicConfig.COMPRESSION_TYPE, ConfigType.STRING,
      TopicConfig.SEGMENT_BYTES, ConfigType.INT,
      TopicConfig.DELETE_RETENTION_MS, ConfigType.LONG,
      TopicConfig.MIN_COMPACTION_LAG_MS, ConfigType.LONG);

  private final Broker broker;

  ConfigsHandler(Broker broker) {
    this.broker = broker;
  }

  /** The configs of a topic as Kafka shows them, by name. */
  static Map<String, Entry> effective(Broker broker, TopicMetadata topic) {
    Map<String, Entry> configs = new TreeMap<>();
    broker.topicDefaults().forEach((name, value) -> configs.put(name, topic.configs().containsKey(name)
        ? new Entry(topic.configs().get(name), ConfigSource.TOPIC_CONFIG)
        : new Entry(value, ConfigSource.DEFAULT_CONFIG)));
    return configs;
  }

  CompletionStage<AbstractResponse> describeConfigs(KafkaRequest request) {
    DescribeConfigsRequest body = (DescribeConfigsRequest) request.body();
    boolean synonyms = body.data().includeSynonyms();
    List<CompletableFuture<DescribeConfigsResult>> results = new ArrayList<>();
    for (DescribeConfigsResource resource : body.data().resources()) {
      results.add(describe(resource, synonyms).toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      DescribeConfigsResponseData data = new DescribeConfigsResponseData();
      results.forEach(result -> data.results().add(result.join()));
      return new DescribeConfigsResponse(data);
    });
  }

  private CompletionStage<DescribeConfigsResult> describe(DescribeConfigsResource resource, boolean synonyms) {
    DescribeConfigsResult result = new DescribeConfigsResult()
        .setResourceType(resource.resourceType())
        .setResourceName(resource.resourceName());
    if (resource.resourceType() != ConfigResource.Type.TOPIC.id()) {
      return CompletableFuture.completedFuture(failed(result, new InvalidRequestException(
          "Only topic configs can be described; resource type " + resource.resourceType() + " is not supported")));
    }
    return broker.lookupTopic(resource.resourceName()).handle((found, failure) -> {
      if (failure != null) {
        return failed(result, failure);
      }
      if (found.isEmpty()) {
        return failed(result, new UnknownTopicOrPartitionException(
            "Topic '" + resource.resourceName() + "' does not exist."));
      }
      List<String> keys = resource.configurationKeys();
      effective(broker, found.get()).forEach((name, entry) -> {
        if (keys == null || keys.isEmpty() || keys.contains(name)) {
          DescribeConfigsResourceResult config = new DescribeConfigsResourceResult()
              .setName(name)
              .setValue(entry.value())
              .setReadOnly(false)
              .setConfigSource(entry.source().id())
              .setIsSensitive(false)
              .setConfigType(TYPES.getOrDefault(name, ConfigType.STRING).id());
          if (synonyms) {
            config.synonyms().add(new DescribeConfigsSynonym().setName(name).setValue(entry.value())
                .setSource(entry.source().id()));
          }
          result.configs().add(config);
        }
      });
      return result.setErrorCode(Errors.NONE.code());
    });
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
   * on the list config {@code cleanup.policy}, starting from the broker's default when the topic does not set it.
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
          if (!TopicConfig.CLEANUP_POLICY.equals(config.name())) {
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

  /** cleanup.policy after APPEND or SUBTRACT of comma-separated values; an absent value counts as empty. */
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
