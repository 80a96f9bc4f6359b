package dev.runnel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs {@code runnel-cli} in-process against a node's HTTP port, with stdin given and stdout/stderr captured. */
final class Cli {

  /** What one run left: its exit code, stdout and stderr. */
  record Result(int exitCode, String out, String err) {

    JsonNode json() {
      return BrokerClient.parse(out);
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private final String http;

  Cli(int httpPort) {
    this.http = "http://127.0.0.1:" + httpPort;
  }

  Result run(String... args) {
    return runWithInput("", args);
  }

  /** {@code args} after {@code --http} of the node. */
  Result runWithInput(String stdin, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add(0, "--http=" + http);
    return runRaw(stdin, all.toArray(String[]::new));
  }

  /** {@code args} exactly as given (no {@code --http}). */
  static Result runRaw(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = RunnelCli.commandLine(
        new RunnelCli(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), false));
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exitCode = commandLine.execute(args);
    return new Result(exitCode, out.toString(), err.toString());
  }
}
