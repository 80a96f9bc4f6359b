package dev.runnel.broker.http;

import org.apache.kafka.common.protocol.Errors;

/**
 * The body of every error answer: Kafka's error name and code, and what went wrong.
 *
 * @param error the {@link Errors} name, e.g. {@code UNKNOWN_TOPIC_OR_PARTITION}
 * @param code the Kafka error code
 * @param message what went wrong, for a person
 */
public record ErrorBody(String error, int code, String message) {

  public static ErrorBody of(Errors error, String message) {
    return new ErrorBody(error.name(), error.code(), message == null ? error.message() : message);
  }
}
