package dev.runnel.broker.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import dev.runnel.broker.Broker;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP answers: Kafka's {@link Errors} as JSON {@link ErrorBody} with a fitting
 * status. Kafka {@link ApiException}s map through {@link Errors#forException}; a client's mistake the route finds
 * itself is thrown as Kafka's {@code InvalidRequestException}; Pekko's rejections (no such path, wrong method) keep
 * their status and become {@code INVALID_REQUEST}; anything else is a bug, logged and answered 500
 * {@code UNKNOWN_SERVER_ERROR}.
 */
final class HttpErrors {

  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {}

  /** The HTTP status that fits a Kafka error. */
  static StatusCode status(Errors error) {
    switch (error) {
      case UNKNOWN_TOPIC_OR_PARTITION:
      case UNKNOWN_TOPIC_ID:
      case GROUP_ID_NOT_FOUND:
        return StatusCodes.NOT_FOUND;
      case TOPIC_ALREADY_EXISTS:
      case NON_EMPTY_GROUP:
        return StatusCodes.CONFLICT;
      case OFFSET_OUT_OF_RANGE:
        return StatusCodes.RANGE_NOT_SATISFIABLE;
      case MESSAGE_TOO_LARGE:
      case RECORD_LIST_TOO_LARGE:
        return StatusCodes.PAYLOAD_TOO_LARGE;
      case REQUEST_TIMED_OUT:
        return StatusCodes.GATEWAY_TIMEOUT;
      case UNKNOWN_SERVER_ERROR:
        return StatusCodes.INTERNAL_SERVER_ERROR;
      case INVALID_TOPIC_EXCEPTION:
      case INVALID_PARTITIONS:
      case INVALID_CONFIG:
      case CORRUPT_MESSAGE:
      case INVALID_RECORD:
      case INVALID_REQUEST:
      case INVALID_TIMESTAMP:
      case INVALID_REPLICATION_FACTOR:
      case POLICY_VIOLATION:
      case INVALID_GROUP_ID:
        return StatusCodes.BAD_REQUEST;
      default:
        return error.exception() instanceof RetriableException
            ? StatusCodes.SERVICE_UNAVAILABLE
            : StatusCodes.INTERNAL_SERVER_ERROR;
    }
  }

  static HttpResponse response(Errors error, String message) {
    return response(status(error), ErrorBody.of(error, message));
  }

  static HttpResponse response(StatusCode status, Object body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, JsonCodec.write(body));
  }

  /** The answer to a failure: its Kafka error when it has one, else a logged 500. */
  static HttpResponse response(Throwable failure) {
    Throwable cause = Broker.unwrap(failure);
    if (cause instanceof ApiException) {
      return response(Errors.forException(cause), cause.getMessage());
    }
    if (cause instanceof EntityStreamSizeException) {
      EntityStreamSizeException tooLarge = (EntityStreamSizeException) cause;
      return response(Errors.MESSAGE_TOO_LARGE, "The request body is larger than the limit of " + tooLarge.limit()
          + " bytes (runnel.broker.http.max-request-size)");
    }
    if (cause instanceof EntityStreamException) {
      // The body did not arrive whole: over the size limit (the server checks a declared Content-Length), or cut.
      EntityStreamException broken = (EntityStreamException) cause;
      String message = broken.info().summary() + ": " + broken.info().detail();
      return broken.info().summary().startsWith("Request too large")
          ? response(Errors.MESSAGE_TOO_LARGE, message + " (runnel.broker.http.max-request-size)")
          : response(Errors.INVALID_REQUEST, message);
    }
    if (cause instanceof TimeoutException) {
      return response(Errors.REQUEST_TIMED_OUT, cause.getMessage());
    }
    log.error("HTTP request failed unexpectedly", cause);
    return response(Errors.UNKNOWN_SERVER_ERROR, "Unexpected server error: " + cause);
  }

  /**
   * Logs an answer of 500 or more at WARN with the request it answers, and returns it unchanged: such an answer is
   * the node's own fault (a bug, a partition or coordinator that did not answer in time), never a client's mistake.
   */
  static HttpResponse logNodeFault(HttpRequest request, HttpResponse response) {
    if (response.status().intValue() >= 500) {
      HttpEntity entity = response.entity();
      String body = entity instanceof HttpEntity.Strict strict
          ? strict.getData().decodeString(StandardCharsets.UTF_8)
          : "(streamed)";
      log.warn("HTTP {} {} answered {}: {}", request.method().value(), request.getUri(), response.status().intValue(),
          body);
    }
    return response;
  }

  static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder().matchAny(failure -> complete(response(failure))).build();
  }

  /** Pekko's own rejection answers (status and text), as error JSON. */
  static RejectionHandler rejectionHandler() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(HttpErrors::asErrorJson);
  }

  private static HttpResponse asErrorJson(HttpResponse rejection) {
    HttpEntity entity = rejection.entity();
    if (!(entity instanceof HttpEntity.Strict) || entity.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
      return rejection;
    }
    String text = ((HttpEntity.Strict) entity).getData().decodeString(StandardCharsets.UTF_8);
    Errors error = rejection.status().equals(StatusCodes.PAYLOAD_TOO_LARGE)
        ? Errors.MESSAGE_TOO_LARGE
        : Errors.INVALID_REQUEST;
    return rejection.withEntity(ContentTypes.APPLICATION_JSON, JsonCodec.write(ErrorBody.of(error, text)));
  }
}
