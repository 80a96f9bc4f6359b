package dev.runnel.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** What every command shares: the global options of {@link RunnelCli}, the client, stdout and stderr. */
abstract class CliCommand implements Runnable {

  @Spec
  CommandSpec spec;

  RunnelCli cli() {
    return (RunnelCli) spec.root().userObject();
  }

  BrokerClient client() {
    return cli().client();
  }

  boolean json() {
    return cli().json;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** A usage error of this command (exit code 2, with its usage). */
  ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** {@code value} as indented JSON, for {@code --json}. */
  void printJson(JsonNode value) {
    try {
      out().println(BrokerClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
      out().flush();
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A {@code -1} of the HTTP API ("unknown") as Kafka's tools show it: {@code -}. */
  static String orDash(JsonNode value) {
    return value == null || value.isNull() || value.isMissingNode() || value.asLong() == -1 ? "-" : value.asText();
  }

  /** A {@code key=value} option's two halves; {@code option} names it in the error. */
  String[] keyValue(String text, String option) {
    int equals = text.indexOf('=');
    if (equals <= 0) {
      throw usage("Invalid value for option '" + option + "': '" + text + "' is not KEY=VALUE");
    }
    return new String[] {text.substring(0, equals), text.substring(equals + 1)};
  }
}
