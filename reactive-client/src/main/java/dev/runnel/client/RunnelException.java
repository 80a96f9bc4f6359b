package dev.runnel.client;

import org.apache.kafka.common.protocol.Errors;

/** A request or subscription refused by the broker, with Kafka's error for it. */
public final class RunnelException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Errors error;

  public RunnelException(Errors error, String message) {
    super(error.name() + ": " + message);
    this.error = error;
  }

  public Errors error() {
    return error;
  }
}
