package dev.runnel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/**
 * {@code cluster}: the state of the node at {@code --http}, from {@code GET /health}. The node list of
 * {@code GET /cluster} is not part of the HTTP API yet; when it is, this command shows it.
 */
@Command(name = "cluster", description = "Show the state of the broker at --http (GET /health).")
final class ClusterCommand extends CliCommand {

  @Override
  public void run() {
    JsonNode health = client().get("/health");
    if (json()) {
      printJson(health);
      return;
    }
    new Table("NODE", "STATUS").row(client().base(), health.path("status").asText()).print(out());
  }
}
