package dev.runnel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** Help for every command, usage errors (exit 2), a broker that is not there (exit 3), and {@code cluster}. */
@Timeout(120)
class CliUsageTest {

  private static RunnelNode node;
  private static Cli cli;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    cli = new Cli(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** Every command's name path under runnel-cli, e.g. [topics, create]. */
  private static List<List<String>> commands(CommandLine command, List<String> path) {
    List<List<String>> all = new ArrayList<>();
    all.add(path);
    command.getSubcommands().forEach((name, sub) -> {
      if (!name.equals("help")) {
        List<String> longer = new ArrayList<>(path);
        longer.add(name);
        all.addAll(commands(sub, longer));
      }
    });
    return all;
  }

  @Test
  void when_anyCommandIsAskedForHelp_then_itsUsageWithOptionsAndExitCode0() {
    List<List<String>> all = commands(RunnelCli.commandLine(new RunnelCli(System.in, false)), List.of());
    assertEquals(15, all.size(), "runnel-cli, its 5 commands, 5 topics and 4 groups commands: " + all);
    for (List<String> path : all) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      Cli.Result help = Cli.runRaw("", args.toArray(String[]::new));
      assertEquals(0, help.exitCode(), help.toString());
      assertTrue(help.out().startsWith("Usage: runnel-cli" + (path.isEmpty() ? "" : " " + String.join(" ", path))),
          help.out());
      assertTrue(help.out().contains("--http=URL"), "the global options on every command: " + help.out());
      assertTrue(help.out().contains("--json"), help.out());
    }
    Cli.Result top = Cli.runRaw("", "--help");
    assertTrue(top.out().contains("Exit codes:"), top.out());
    assertTrue(top.out().contains("3   the broker cannot be reached at --http"), top.out());
    Cli.Result helpCommand = Cli.runRaw("", "help", "consume");
    assertEquals(0, helpCommand.exitCode(), helpCommand.toString());
    assertTrue(helpCommand.out().contains("--from-beginning"), helpCommand.out());
  }

  @Test
  void when_argumentsAreBad_then_aClearMessageTheUsageAndExitCode2() {
    Cli.Result none = cli.run();
    assertEquals(RunnelCli.EXIT_USAGE, none.exitCode(), none.toString());
    assertTrue(none.err().startsWith("Missing a command"), none.err());

    Cli.Result unknownCommand = cli.run("topic", "list");
    assertEquals(RunnelCli.EXIT_USAGE, unknownCommand.exitCode(), unknownCommand.toString());
    assertTrue(unknownCommand.err().contains("Unmatched arguments from index 1: 'topic', 'list'"),
        unknownCommand.err());
    assertTrue(unknownCommand.err().contains("Did you mean: runnel-cli topics?"), unknownCommand.err());

    Cli.Result unknownOption = cli.run("topics", "list", "--colour");
    assertEquals(RunnelCli.EXIT_USAGE, unknownOption.exitCode(), unknownOption.toString());
    assertTrue(unknownOption.err().contains("Unknown option: '--colour'"), unknownOption.err());
    assertTrue(unknownOption.err().contains("Usage: runnel-cli topics list"), unknownOption.err());

    Cli.Result missingValue = cli.run("topics", "create", "t", "--partitions");
    assertEquals(RunnelCli.EXIT_USAGE, missingValue.exitCode(), missingValue.toString());
    assertTrue(missingValue.err().contains("Missing required parameter for option '--partitions'"),
        missingValue.err());

    Cli.Result badNumber = cli.run("topics", "create", "t", "--partitions", "three");
    assertEquals(RunnelCli.EXIT_USAGE, badNumber.exitCode(), badNumber.toString());
    assertTrue(badNumber.err().contains("Invalid value for option '--partitions': 'three' is not an int"),
        badNumber.err());

    Cli.Result missingTopic = cli.run("topics", "describe");
    assertEquals(RunnelCli.EXIT_USAGE, missingTopic.exitCode(), missingTopic.toString());
    assertTrue(missingTopic.err().contains("Missing required parameter: 'TOPIC'"), missingTopic.err());

    Cli.Result missingSubcommand = cli.run("groups");
    assertEquals(RunnelCli.EXIT_USAGE, missingSubcommand.exitCode(), missingSubcommand.toString());
    assertTrue(missingSubcommand.err().startsWith("Missing a groups command"), missingSubcommand.err());

    Cli.Result badUrl = Cli.runRaw("", "--http", "localhost:8080", "cluster");
    assertEquals(RunnelCli.EXIT_USAGE, badUrl.exitCode(), badUrl.toString());
    assertTrue(badUrl.err().contains("'localhost:8080' is not an http:// or https:// URL"), badUrl.err());

    Cli.Result badBatch = cli.runWithInput("x\n", "produce", "t", "--batch-size", "0");
    assertEquals(RunnelCli.EXIT_USAGE, badBatch.exitCode(), badBatch.toString());
    assertTrue(badBatch.err().contains("--batch-size"), badBatch.err());
  }

  @Test
  void when_noBrokerListens_then_everyCommandSaysSoWithExitCode3() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    String http = "--http=http://127.0.0.1:" + port;
    List<String[]> commands = List.of(new String[] {"topics", "list"}, new String[] {"cluster"},
        new String[] {"groups", "describe", "g"}, new String[] {"consume", "t"}, new String[] {"produce", "t"});
    for (String[] command : commands) {
      List<String> args = new ArrayList<>(List.of(command));
      args.add(0, http);
      Cli.Result down = Cli.runRaw("x\n", args.toArray(String[]::new));
      assertEquals(RunnelCli.EXIT_UNREACHABLE, down.exitCode(), down.toString());
      assertTrue(down.err().startsWith("Error: cannot reach the broker at http://127.0.0.1:" + port), down.err());
    }
  }

  @Test
  void when_clusterIsAsked_then_theMembersOrWithoutGetClusterTheHealthAsTableAndJson() {
    boolean hasClusterRoute;
    try {
      new BrokerClient(java.net.URI.create("http://127.0.0.1:" + node.httpPort())).get("/cluster");
      hasClusterRoute = true;
    } catch (BrokerError e) {
      assertEquals(404, e.status(), e.getMessage());
      hasClusterRoute = false;
    }
    Cli.Result table = cli.run("cluster");
    assertEquals(0, table.exitCode(), table.toString());
    List<String> lines = table.out().lines().toList();
    if (hasClusterRoute) {
      // GET /cluster (merged from the cluster work): this one node, Up, with its HTTP endpoint.
      assertTrue(lines.get(0).startsWith("Controller: "), table.out());
      assertTrue(lines.stream().anyMatch(l -> l.contains(" Up ") && l.contains(":" + node.httpPort())), table.out());
      assertEquals(1, cli.run("cluster", "--json").json().path("members").size());
      return;
    }
    assertEquals("This broker's HTTP API has no GET /cluster; showing GET /health.\n", table.err());
    assertEquals(List.of("NODE", "STATUS"), List.of(lines.get(0).split("\\s+")));
    assertTrue(lines.get(1).matches("http://127\\.0\\.0\\.1:" + node.httpPort() + "\\s+UP"), table.out());
    assertEquals("UP", cli.run("cluster", "--json").json().path("status").asText());
  }
}
