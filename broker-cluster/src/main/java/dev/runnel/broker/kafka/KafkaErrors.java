package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become Kafka error codes. Kafka's own {@link ApiException}s map to their codes; any
 * other failure is a bug or an outage on this side, answered {@code UNKNOWN_SERVER_ERROR} and logged.
 */
final class KafkaErrors {

  private static final Logger log = LoggerFactory.getLogger(KafkaErrors.class);

  private KafkaErrors() {}

  static ApiError of(Throwable failure) {
    Throwable cause = Broker.unwrap(failure);
    // An ask that timed out (a partition or coordinator that did not answer in time, e.g. on a node that just
    // died) is Kafka's retriable REQUEST_TIMED_OUT, not an unknown error that clients give up on.
    Errors error = cause instanceof java.util.concurrent.TimeoutException
        ? Errors.REQUEST_TIMED_OUT
        : Errors.forException(cause);
    if (error == Errors.UNKNOWN_SERVER_ERROR) {
      log.warn("Kafka request failed unexpectedly", cause);
    }
    return new ApiError(error, cause.getMessage());
  }

  static Errors code(Throwable failure) {
    return of(failure).error();
  }
}
