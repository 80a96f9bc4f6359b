package dev.runnel.broker.http;

import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests that pekko-http's parser refuses before any route runs (an unknown method, a malformed request
 * line, an unsupported HTTP version, headers or a URI over the limits) with the API's error JSON instead of
 * pekko-http's plain text. The parser only ever sees the client's bytes, so every such answer is a 4xx: an unknown
 * method is 405 (pekko-http says 501), anything else the parser answers 5xx (an HTTP version other than 1.0 and
 * 1.1, an unsupported transfer encoding) is 400 {@code INVALID_REQUEST}. Configured as
 * {@code pekko.http.server.parsing.error-handler} in {@code runnel-pekko.conf}; pekko-http creates it through its
 * public no-argument constructor. Stateless and thread-safe.
 */
public final class HttpParsingErrors extends ParsingErrorHandler {

  /** The answer to a parse failure, as a status and a Kafka error. */
  record Answer(int status, Errors error, String message) {}

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    Answer answer = decide(status.intValue(), info.summary(), info.detail());
    log.debug("Refused an unparsable HTTP request ({}): {}", status, info.formatPretty());
    return HttpErrors.response(StatusCodes.get(answer.status()), ErrorBody.of(answer.error(), answer.message()));
  }

  /** The answer to the parser's {@code status} and error text: pure, for tests. */
  static Answer decide(int status, String summary, String detail) {
    String message = detail == null || detail.isEmpty() ? summary : summary + ": " + detail;
    if (status == 501 && summary.startsWith("Unsupported HTTP method")) {
      return new Answer(405, Errors.INVALID_REQUEST, message + " (the API uses GET, POST, PUT and DELETE)");
    }
    if (status == 505) {
      return new Answer(400, Errors.INVALID_REQUEST, message + " (HTTP/1.0 and HTTP/1.1 are supported)");
    }
    if (status == 413) {
      return new Answer(413, Errors.MESSAGE_TOO_LARGE, message);
    }
    return new Answer(status >= 500 ? 400 : status, Errors.INVALID_REQUEST, message);
  }
}
