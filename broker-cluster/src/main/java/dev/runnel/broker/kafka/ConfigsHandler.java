package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.topic.TopicConfig;
import dev.runnel.broker.topic.TopicMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

/**
 * DescribeConfigs of topics: every topic config Runnel knows, with its value and whether the topic sets it
 * ({@code TOPIC_CONFIG}) or takes the broker's default ({@code DEFAULT_CONFIG}). Broker resources are refused:
 * the broker's settings are HOCON, not Kafka broker configs.
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
      TopicConfig.SEGMENT_BYTES, ConfigType.INT);

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
}
