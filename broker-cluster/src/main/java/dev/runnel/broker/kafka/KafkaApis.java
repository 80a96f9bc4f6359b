package dev.runnel.broker.kafka;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
import dev.runnel.broker.memory.ReadLease;
import dev.runnel.broker.metrics.RunnelMetrics;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one request frame into its response frame: parses header and body with kafka-clients' classes, routes to the
 * handler of its API and writes the response with the generated message classes. A frame that does not parse, or
 * names an API or version no client may send here, is refused: the connection closes after answering what came
 * before it, as Kafka's does. Thread-safe: handlers share nothing but the broker.
 */
final class KafkaApis {

  private static final Logger log = LoggerFactory.getLogger(KafkaApis.class);

  private final Map<ApiKeys, RequestHandler> handlers;
  private final RunnelMetrics metrics;

  KafkaApis(Map<ApiKeys, RequestHandler> handlers, RunnelMetrics metrics) {
    this.handlers = new EnumMap<>(handlers);
    this.metrics = metrics;
  }

  /** A request frame as read: a request to run, an answer given without running anything, or a reason to close. */
  sealed interface Call {
    record Run(RequestHeader header, AbstractRequest request) implements Call {}

    record Answer(ByteString response) implements Call {}

    /** The frame is bad: the connection closes once the requests before it are answered, as Kafka's does. */
    record Refuse(String reason) implements Call {}
  }

  /**
   * What goes back for one request: its response frame (empty when it expects none, as Produce with acks=0), with
   * the read memory it holds until written; or the end of the connection.
   */
  sealed interface Reply {
    record Response(Optional<ByteString> frame, ReadLease lease) implements Reply {}

    record Close(String reason) implements Reply {}
  }

  /**
   * Parses a request frame, at once and on the caller's thread, so that nothing after a bad frame ever runs: a
   * frame that does not parse, or names an API or version no client may send here, is refused.
   */
  Call parse(ByteString frame, String connection) {
    // A writable heap buffer over the frame's own array (FrameDecoder compacts every frame, so nothing is copied):
    // kafka-clients checksums and reads heap buffers through their array, but a read-only view (what
    // ByteString.asByteBuffer gives) byte by byte, and a produce's CRC32C then cost more than the rest of it. Nothing
    // writes into a request's bytes: a partition copies an append's batches into its own event.
    ByteBuffer buffer = ByteBuffer.wrap(frame.toArrayUnsafe());
    if (buffer.remaining() < 8) {
      return new Call.Refuse("request of " + buffer.remaining() + " bytes is too short for a header");
    }
    short apiKeyId = buffer.getShort(0);
    short version = buffer.getShort(2);
    if (!ApiKeys.hasId(apiKeyId)) {
      return new Call.Refuse("unknown API key " + apiKeyId);
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
        return new Call.Answer(encode(apiVersionsHeader.toResponseHeader(),
            ApiVersionsHandler.response(Errors.UNSUPPORTED_VERSION), (short) 0));
      }
      RequestHandler handler = handlers.get(key);
      if (handler == null || version < key.oldestVersion() || version > key.latestVersion(true)) {
        return new Call.Refuse(key + " v" + version + " is not supported by this server");
      }
      header = RequestHeader.parse(buffer);
      request = AbstractRequest.parseRequest(key, version, new ByteBufferAccessor(buffer)).request;
    } catch (RuntimeException e) {
      return new Call.Refuse("could not parse " + key + " v" + version + ": " + e.getMessage());
    }
    if (!ApiVersionsHandler.isServed(key, version)) {
      log.debug("{}: refusing {} v{}, a version this server does not advertise", connection, key, version);
      return new Call.Answer(encode(header.toResponseHeader(),
          request.getErrorResponse(0, new UnsupportedVersionException(key + " v" + version + " is not supported")),
          version));
    }
    return new Call.Run(header, request);
  }

  /**
   * Runs a parsed call. The stage never fails: a handler's failure is answered with the request's error response.
   * The lease is the read memory the request may reserve; it goes back with the reply, to be released once the
   * reply is written.
   */
  CompletionStage<Reply> run(Call call, String connection, ReadLease lease) {
    if (call instanceof Call.Refuse refuse) {
      lease.release();
      return CompletableFuture.completedFuture(new Reply.Close(refuse.reason()));
    }
    if (call instanceof Call.Answer answer) {
      return CompletableFuture.completedFuture(new Reply.Response(Optional.of(answer.response()), lease));
    }
    Call.Run run = (Call.Run) call;
    RequestHeader header = run.header();
    AbstractRequest request = run.request();
    short version = header.apiVersion();
    long started = System.nanoTime();
    CompletionStage<AbstractResponse> response;
    try {
      response = handlers.get(header.apiKey()).handle(new KafkaRequest(header, request, connection, lease));
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response.handle((answer, failure) -> {
      AbstractResponse result =
          failure == null ? answer : request.getErrorResponse(0, KafkaErrors.of(failure).exception());
      metrics.kafkaRequest(header.apiKey(), version, System.nanoTime() - started,
          result == null ? Map.of() : result.errorCounts());
      return new Reply.Response(result == null ? Optional.<ByteString>empty()
          : Optional.of(encode(header.toResponseHeader(), result, version)), lease);
    });
  }

  /**
   * A response frame: length prefix, response header, body, each written by kafka-clients. Record sets are not
   * copied: the frame refers to their buffers (see {@link ByteStringWriter}).
   */
  static ByteString encode(ResponseHeader header, AbstractResponse response, short version) {
    ObjectSerializationCache cache = new ObjectSerializationCache();
    short headerVersion = header.headerVersion();
    int headerSize = header.data().size(cache, headerVersion);
    int bodySize = response.data().size(cache, version);
    ByteStringWriter writer = new ByteStringWriter();
    writer.writeInt(headerSize + bodySize);
    header.data().write(writer, cache, headerVersion);
    response.data().write(writer, cache, version);
    ByteString frame = writer.result();
    if (frame.length() != 4 + headerSize + bodySize) {
      throw new IllegalStateException("response of " + frame.length() + " bytes, " + (4 + headerSize + bodySize)
          + " expected");
    }
    return frame;
  }
}
