package dev.runnel.broker.kafka;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one request frame into its response frame: parses header and body with kafka-clients' classes, routes to the
 * handler of its API and writes the response with the generated message classes. A frame that does not parse, or
 * names an API or version no client may send here, fails the stage, which closes the connection as Kafka does.
 * Thread-safe: handlers share nothing but the broker.
 */
final class KafkaApis {

  private static final Logger log = LoggerFactory.getLogger(KafkaApis.class);

  private final Map<ApiKeys, RequestHandler> handlers;

  KafkaApis(Map<ApiKeys, RequestHandler> handlers) {
    this.handlers = new EnumMap<>(handlers);
  }

  /** The response frame (with its length prefix), or empty when the request expects none. */
  CompletionStage<Optional<ByteString>> handle(ByteString frame, String connection) {
    ByteBuffer buffer = frame.asByteBuffer();
    if (buffer.remaining() < 8) {
      return CompletableFuture.failedFuture(
          new InvalidRequestException("request of " + buffer.remaining() + " bytes is too short for a header"));
    }
    short apiKeyId = buffer.getShort(0);
    short version = buffer.getShort(2);
    if (!ApiKeys.hasId(apiKeyId)) {
      return CompletableFuture.failedFuture(new InvalidRequestException("unknown API key " + apiKeyId));
    }
    ApiKeys key = ApiKeys.forId(apiKeyId);
    RequestHeader header;
    AbstractRequest request;
    try {
      if (key == ApiKeys.API_VERSIONS && !ApiVersionsHandler.isServed(key, version)) {
        // KIP-511: a client newer than this server learns the versions here from a v0 answer.
        short headerVersion = key.requestHeaderVersion(version);
        RequestHeader apiVersionsHeader = new RequestHeader(
            new RequestHeaderData(new ByteBufferAccessor(buffer.duplicate()), headerVersion), headerVersion);
        return CompletableFuture.completedFuture(Optional.of(encode(apiVersionsHeader.toResponseHeader(),
            ApiVersionsHandler.response(Errors.UNSUPPORTED_VERSION), (short) 0)));
      }
      RequestHandler handler = handlers.get(key);
      if (handler == null || version < key.oldestVersion() || version > key.latestVersion(true)) {
        return CompletableFuture.failedFuture(new UnsupportedVersionException(
            key + " v" + version + " is not supported by this server"));
      }
      header = RequestHeader.parse(buffer);
      request = AbstractRequest.parseRequest(key, version, new ByteBufferAccessor(buffer)).request;
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new InvalidRequestException(
          "could not parse " + key + " v" + version + ": " + e.getMessage(), e));
    }
    if (!ApiVersionsHandler.isServed(key, version)) {
      log.debug("{}: refusing {} v{}, a version this server does not advertise", connection, key, version);
      return CompletableFuture.completedFuture(Optional.of(encode(header.toResponseHeader(),
          request.getErrorResponse(0, new UnsupportedVersionException(key + " v" + version + " is not supported")),
          version)));
    }
    KafkaRequest kafkaRequest = new KafkaRequest(header, request, connection);
    CompletionStage<AbstractResponse> response;
    try {
      response = handlers.get(key).handle(kafkaRequest);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response.handle((answer, failure) -> {
      AbstractResponse result =
          failure == null ? answer : request.getErrorResponse(0, KafkaErrors.of(failure).exception());
      return result == null ? Optional.<ByteString>empty()
          : Optional.of(encode(header.toResponseHeader(), result, version));
    });
  }

  /** A response frame: length prefix, response header, body, each written by kafka-clients. */
  static ByteString encode(ResponseHeader header, AbstractResponse response, short version) {
    ObjectSerializationCache cache = new ObjectSerializationCache();
    short headerVersion = header.headerVersion();
    int headerSize = header.data().size(cache, headerVersion);
    int bodySize = response.data().size(cache, version);
    ByteBuffer buffer = ByteBuffer.allocate(4 + headerSize + bodySize);
    buffer.putInt(headerSize + bodySize);
    ByteBufferAccessor writer = new ByteBufferAccessor(buffer);
    header.data().write(writer, cache, headerVersion);
    response.data().write(writer, cache, version);
    return ByteString.fromArrayUnsafe(buffer.array());
  }
}
