package dev.runnel.cli;

/**
 * No answer from the broker's HTTP API (refused, timed out, cut off). The CLI exits with
 * {@link RunnelCli#EXIT_UNREACHABLE}.
 */
final class BrokerUnreachable extends RuntimeException {

  BrokerUnreachable(String message, Throwable cause) {
    super(message, cause);
  }
}
