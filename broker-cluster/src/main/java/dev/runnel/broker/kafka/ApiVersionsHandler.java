package dev.runnel.broker.kafka;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;

/**
 * ApiVersions, and the table of what this server implements: each API at every version kafka-clients can parse
 * (from KIP-896's minimums for 4.x up to the latest stable version), since the handlers fill the generated message
 * classes, which write each version's fields themselves.
 */
final class ApiVersionsHandler implements RequestHandler {

  /** The APIs and version ranges this server implements. */
  static final Map<ApiKeys, ApiVersion> SUPPORTED = supported();

  private static Map<ApiKeys, ApiVersion> supported() {
    Map<ApiKeys, ApiVersion> apis = new EnumMap<>(ApiKeys.class);
    for (ApiKeys key : new ApiKeys[] {
        ApiKeys.API_VERSIONS, ApiKeys.METADATA, ApiKeys.PRODUCE, ApiKeys.FETCH, ApiKeys.LIST_OFFSETS,
        ApiKeys.OFFSET_FOR_LEADER_EPOCH, ApiKeys.INIT_PRODUCER_ID, ApiKeys.CREATE_TOPICS, ApiKeys.DELETE_TOPICS,
        ApiKeys.CREATE_PARTITIONS, ApiKeys.DESCRIBE_CONFIGS, ApiKeys.ALTER_CONFIGS, ApiKeys.INCREMENTAL_ALTER_CONFIGS,
        ApiKeys.DELETE_RECORDS, ApiKeys.DESCRIBE_CLUSTER, ApiKeys.WRITE_TXN_MARKERS,
        ApiKeys.FIND_COORDINATOR, ApiKeys.JOIN_GROUP, ApiKeys.SYNC_GROUP, ApiKeys.HEARTBEAT, ApiKeys.LEAVE_GROUP,
        ApiKeys.OFFSET_COMMIT, ApiKeys.OFFSET_FETCH, ApiKeys.OFFSET_DELETE, ApiKeys.LIST_GROUPS,
        ApiKeys.DESCRIBE_GROUPS, ApiKeys.DELETE_GROUPS,
        ApiKeys.ADD_PARTITIONS_TO_TXN, ApiKeys.ADD_OFFSETS_TO_TXN, ApiKeys.END_TXN, ApiKeys.TXN_OFFSET_COMMIT,
        ApiKeys.DESCRIBE_TRANSACTIONS, ApiKeys.LIST_TRANSACTIONS}) {
      // KIP-896 removed Produce v0-v2, yet librdkafka only sends compressed batches to a broker that lists
      // Produce from v0 (KAFKA-18659); Kafka 4.0 lists them and refuses them, and so does this server.
      short min = key == ApiKeys.PRODUCE ? 0 : key.oldestVersion();
      // EndTxn v5 and TxnOffsetCommit v5+ belong to KIP-890's transactions v2 (an epoch bump per transaction,
      // partitions added by Produce), which this server does not serve; its transaction.version feature is 0.
      short max = key == ApiKeys.END_TXN || key == ApiKeys.TXN_OFFSET_COMMIT ? (short) 4 : key.latestVersion();
      apis.put(key, new ApiVersion().setApiKey(key.id).setMinVersion(min).setMaxVersion(max));
    }
    return apis;
  }

  /** Whether a request of this API at this version is served (advertised and parseable). */
  static boolean isServed(ApiKeys key, short version) {
    ApiVersion range = SUPPORTED.get(key);
    return range != null && version >= Math.max(range.minVersion(), key.oldestVersion())
        && version <= range.maxVersion();
  }

  @Override
  public CompletionStage<AbstractResponse> handle(KafkaRequest request) {
    ApiVersionsRequest body = (ApiVersionsRequest) request.body();
    if (request.version() >= 3 && !body.isValid()) {
      return CompletableFuture.completedFuture(body.getErrorResponse(0, Errors.INVALID_REQUEST.exception(
          "client software name and version must be non-empty and made of [a-zA-Z0-9.-]")));
    }
    return CompletableFuture.completedFuture(response(Errors.NONE));
  }

  /** The answer to any ApiVersions request; KIP-511: an unsupported version still gets the table, at v0. */
  static ApiVersionsResponse response(Errors error) {
    ApiVersionCollection keys = new ApiVersionCollection();
    for (ApiVersion version : SUPPORTED.values()) {
      keys.add(version.duplicate());
    }
    return new ApiVersionsResponse(new ApiVersionsResponseData()
        .setErrorCode(error.code())
        .setApiKeys(keys)
        .setThrottleTimeMs(0)
        .setFinalizedFeaturesEpoch(ApiVersionsResponse.UNKNOWN_FINALIZED_FEATURES_EPOCH));
  }
}
