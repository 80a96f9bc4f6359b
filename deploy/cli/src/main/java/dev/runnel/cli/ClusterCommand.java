package dev.runnel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;

/**
 * {@code cluster}: the members the node at {@code --http} sees, the controller, and how many partitions each node
 * leads and groups it coordinates, from {@code GET /cluster}. A broker whose HTTP API has no {@code /cluster}
 * route (404) is shown by its {@code GET /health} instead, with a note on stderr.
 */
@Command(name = "cluster", description = {"Show the cluster's members, controller, leaders and coordinators",
    "(GET /cluster; a broker without that route: its GET /health)."})
final class ClusterCommand extends CliCommand {

  @Override
  public void run() {
    BrokerClient client = client();
    JsonNode cluster;
    try {
      cluster = client.get("/cluster");
    } catch (BrokerError e) {
      if (e.status() != 404) {
        throw e;
      }
      health(client);
      return;
    }
    if (json()) {
      printJson(cluster);
    } else {
      print(cluster, out());
    }
  }

  private void health(BrokerClient client) {
    JsonNode health = client.get("/health");
    err().println("This broker's HTTP API has no GET /cluster; showing GET /health.");
    err().flush();
    if (json()) {
      printJson(health);
      return;
    }
    new Table("NODE", "STATUS").row(client.base(), health.path("status").asText()).print(out());
  }

  /** The {@code GET /cluster} answer as a controller line, a member table and a table of what each node leads. */
  static void print(JsonNode cluster, PrintWriter out) {
    out.println("Controller: " + CliCommand.orDash(cluster.path("controller")));
    out.println();
    Table members = new Table("NODE-ID", "ADDRESS", "STATUS", "REACHABLE", "KAFKA", "HTTP", "ROLES");
    Map<Integer, int[]> led = new TreeMap<>();
    for (JsonNode member : cluster.path("members")) {
      List<String> roles = new ArrayList<>();
      member.path("roles").forEach(role -> roles.add(role.asText()));
      members.row(CliCommand.orDash(member.path("node_id")), member.path("address").asText(),
          member.path("status").asText(), member.path("reachable").asBoolean() ? "yes" : "no",
          text(member.path("kafka")), text(member.path("http")), roles.isEmpty() ? "-" : String.join(",", roles));
      if (member.path("node_id").asInt(-1) >= 0) {
        led.put(member.path("node_id").asInt(), new int[2]);
      }
    }
    members.print(out);
    for (JsonNode partition : cluster.path("partitions")) {
      led.computeIfAbsent(partition.path("leader").asInt(-1), id -> new int[2])[0]++;
    }
    for (JsonNode group : cluster.path("groups")) {
      led.computeIfAbsent(group.path("coordinator").asInt(-1), id -> new int[2])[1]++;
    }
    out.println();
    Table leaders = new Table("NODE-ID", "LEADER-OF-PARTITIONS", "COORDINATOR-OF-GROUPS");
    led.forEach((id, counts) -> leaders.row(id < 0 ? "-" : id, counts[0], counts[1]));
    leaders.print(out);
  }

  private static String text(JsonNode value) {
    return value.isMissingNode() || value.isNull() || value.asText().isEmpty() ? "-" : value.asText();
  }
}
