package dev.runnel.samples.cqrs.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.client.RunnelException;
import dev.runnel.samples.cqrs.command.CommandOutcome;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.stream.StreamTcpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where results and failures become HTTP answers, all JSON: a command's outcome, a client's mistake
 * (400), the broker out of reach (503), and Pekko's own rejections (no such path, wrong method) with their status.
 * Thread-safe.
 */
final class Responses {

  private static final Logger log = LoggerFactory.getLogger(Responses.class);
  /** Ids go into stream ids and URLs: kept to URL-safe characters, and short enough for the views' key columns. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  private final ObjectMapper json;

  Responses(ObjectMapper json) {
    this.json = json;
  }

  static String requireId(String id, String field) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException(field + " must be 1 to 200 of A-Z a-z 0-9 . _ -, not " + id);
    }
    return id;
  }

  HttpResponse json(StatusCode status, Object body) {
    try {
      return HttpResponse.create().withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, json.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + body + " as JSON", e);
    }
  }

  HttpResponse error(StatusCode status, String error, String message) {
    return json(status, new ErrorBody(error, message));
  }

  /**
   * A command's answer: {@code created} (201) or 200 with the stream's new version, the events appended and the
   * attempts it took; 404
   * when the stream does not exist, 409 when its state refuses the command or the stream stayed contended.
   */
  HttpResponse outcome(CommandOutcome outcome, StatusCode created, Map<String, String> ids) {
    if (outcome instanceof CommandOutcome.Accepted accepted) {
      Map<String, Object> body = new LinkedHashMap<>(ids);
      body.put("stream_id", accepted.streamId());
      body.put("version", accepted.version());
      body.put("events", accepted.events());
      body.put("attempts", accepted.attempts());
      return json(accepted.events().isEmpty() ? StatusCodes.OK : created, body);
    }
    if (outcome instanceof CommandOutcome.Rejected rejected) {
      return error(rejected.error().endsWith("_NOT_FOUND") ? StatusCodes.NOT_FOUND : StatusCodes.CONFLICT,
          rejected.error(), rejected.message());
    }
    CommandOutcome.Contended contended = (CommandOutcome.Contended) outcome;
    return error(StatusCodes.CONFLICT, ErrorBody.CONCURRENCY_CONFLICT, "stream " + contended.streamId()
        + " changed under each of " + contended.attempts() + " attempts (it is at version "
        + contended.currentVersion() + " now); nothing was stored, send the command again");
  }

  ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder().matchAny(failure -> {
      Throwable cause = unwrap(failure);
      if (cause instanceof IllegalArgumentException) {
        return complete(
            error(StatusCodes.BAD_REQUEST, ErrorBody.INVALID_REQUEST, cause.getMessage()));
      }
      if (cause instanceof RunnelException || cause instanceof TimeoutException
          || cause instanceof StreamTcpException) {
        // An append whose answer was lost may have been stored: the client reads before it sends it again.
        return complete(error(StatusCodes.SERVICE_UNAVAILABLE,
            ErrorBody.UNAVAILABLE, "the broker or the database did not answer: " + cause.getMessage()));
      }
      log.error("request failed unexpectedly", cause);
      return complete(
          error(StatusCodes.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", String.valueOf(cause)));
    }).build();
  }

  /** Pekko's rejection answers, their text as the message of an error JSON. */
  RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (!(response.entity() instanceof HttpEntity.Strict strict)
          || response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
        return response;
      }
      String text = strict.getData().decodeString(StandardCharsets.UTF_8);
      String error = response.status().equals(StatusCodes.NOT_FOUND) ? ErrorBody.NOT_FOUND : ErrorBody.INVALID_REQUEST;
      return error(response.status(), error, text);
    });
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
