package dev.runnel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The table of {@code cluster} from a {@code GET /cluster} answer in the shape the HTTP API documents (the route
 * comes with the cluster work on another branch; against a broker without it, CliUsageTest covers the fallback).
 */
@Timeout(10)
class ClusterViewTest {

  @Test
  void when_aClusterIsDescribed_then_membersAndWhatEachNodeLeadsAreTabled() {
    String answer = "{\"controller\": 1, \"members\": ["
        + "{\"address\": \"pekko://runnel@127.0.0.1:25520\", \"status\": \"Up\", \"roles\": [\"dc-default\"],"
        + " \"reachable\": true, \"node_id\": 1, \"kafka\": \"127.0.0.1:9092\", \"http\": \"127.0.0.1:8080\"},"
        + "{\"address\": \"pekko://runnel@127.0.0.1:25521\", \"status\": \"Joining\", \"roles\": [],"
        + " \"reachable\": false, \"node_id\": -1, \"kafka\": null, \"http\": null}],"
        + " \"partitions\": [{\"topic\": \"t\", \"partition\": 0, \"leader\": 1},"
        + " {\"topic\": \"t\", \"partition\": 1, \"leader\": 1}, {\"topic\": \"u\", \"partition\": 0, \"leader\": -1}],"
        + " \"groups\": [{\"group_id\": \"g\", \"coordinator\": 1}]}";
    StringWriter out = new StringWriter();

    ClusterCommand.print(BrokerClient.parse(answer), new PrintWriter(out, true));

    assertEquals(String.join("\n",
        "Controller: 1",
        "",
        "NODE-ID  ADDRESS                         STATUS   REACHABLE  KAFKA           HTTP            ROLES",
        "1        pekko://runnel@127.0.0.1:25520  Up       yes        127.0.0.1:9092  127.0.0.1:8080  dc-default",
        "-        pekko://runnel@127.0.0.1:25521  Joining  no         -               -               -",
        "",
        "NODE-ID  LEADER-OF-PARTITIONS  COORDINATOR-OF-GROUPS",
        "-        1                     0",
        "1        2                     1",
        ""), out.toString());
  }
}
