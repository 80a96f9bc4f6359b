package dev.runnel.cli;

/**
 * The broker refused a request: its Kafka error name and code and its message, from the HTTP API's error JSON
 * ({@code {"error", "code", "message"}}). The CLI exits with {@link RunnelCli#EXIT_BROKER_ERROR}.
 */
final class BrokerError extends RuntimeException {

  private final String error;
  private final int code;
  private final int status;

  BrokerError(String error, int code, String message, int status) {
    super(message);
    this.error = error;
    this.code = code;
    this.status = status;
  }

  /** Kafka's error name, e.g. {@code UNKNOWN_TOPIC_OR_PARTITION}. */
  String error() {
    return error;
  }

  /** Kafka's error code. */
  int code() {
    return code;
  }

  /** The HTTP status of the answer. */
  int status() {
    return status;
  }
}
