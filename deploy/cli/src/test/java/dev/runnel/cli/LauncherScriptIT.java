package dev.runnel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real launcher, {@code deploy/bin/runnel-cli}, end to end in its own JVMs against an in-process node: the
 * broker from {@code RUNNEL_HTTP}, stdin to produce, {@code --json} out, and its exit codes. An integration test
 * (failsafe, after {@code package}), because the launcher runs the packaged jar and its {@code lib/}.
 */
@Timeout(120)
class LauncherScriptIT {

  private static final Path SCRIPT = Path.of("..", "bin", "runnel-cli").toAbsolutePath().normalize();

  private static RunnelNode node;

  @BeforeAll
  static void start() throws IOException {
    assertPackagedBuildIsCurrent();
    node = TestNodes.start(TestNodes.newDataDir());
  }

  /**
   * The launcher rebuilds a missing or stale jar with Maven; from inside a Maven test that would be a build within
   * the build. Refuse early, by the launcher's own rule (no POM or main source newer than the jar), saying how
   * to run this test.
   */
  private static void assertPackagedBuildIsCurrent() throws IOException {
    Path module = Path.of("").toAbsolutePath();
    Path jar = module.resolve("target/runnel-cli-0.1.0-SNAPSHOT.jar");
    String how = " Run it through failsafe after package: mvn -pl deploy/cli -am verify -Dit.test=LauncherScriptIT";
    if (!Files.isRegularFile(jar)) {
      throw new AssertionError(jar + " is missing." + how);
    }
    java.nio.file.attribute.FileTime built = Files.getLastModifiedTime(jar);
    List<Path> sources =
        new ArrayList<>(List.of(module.resolve("../../pom.xml").normalize(), module.resolve("pom.xml")));
    try (java.util.stream.Stream<Path> files = Files.walk(module.resolve("src/main"))) {
      files.filter(Files::isRegularFile).forEach(sources::add);
    }
    for (Path source : sources) {
      if (Files.getLastModifiedTime(source).compareTo(built) > 0) {
        throw new AssertionError(source + " is newer than " + jar + "." + how);
      }
    }
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static Cli.Result script(Map<String, String> env, String stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    Process process = builder.start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("runnel-cli " + String.join(" ", args) + " did not end in 60 s");
    }
    return new Cli.Result(process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
  }

  private static String read(java.io.InputStream stream) {
    try {
      return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void when_theLauncherRuns_then_itTalksToTheBrokerOfRunnelHttpWithMeaningfulExitCodes() throws Exception {
    assertTrue(Files.isExecutable(SCRIPT), SCRIPT + " is executable");
    Map<String, String> env = Map.of("RUNNEL_HTTP", "http://127.0.0.1:" + node.httpPort());

    Cli.Result created = script(env, "", "topics", "create", "scripted", "--partitions", "2");
    assertEquals(0, created.exitCode(), created.toString());
    assertFalse(created.err().contains("Building runnel-cli"), "the packaged build is current: " + created.err());
    assertEquals("Created topic scripted with 2 partition(s).\n", created.out());

    Cli.Result produced = script(env, "k1=one\nk2=two\nk3=three\n", "produce", "scripted", "--key-separator", "=",
        "--json");
    assertEquals(0, produced.exitCode(), produced.toString());
    assertEquals(3, produced.json().path("records").asInt(), produced.toString());
    assertFalse(produced.err().contains("records/s"), "stderr is no terminal here: no bar: " + produced.err());

    Cli.Result consumed = script(env, "", "consume", "scripted", "--json");
    assertEquals(0, consumed.exitCode(), consumed.toString());
    List<String> keys = new ArrayList<>();
    for (String line : consumed.out().lines().toList()) {
      JsonNode record = BrokerClient.parse(line);
      keys.add(record.path("key").asText() + "=" + record.path("value").asText());
    }
    assertEquals(List.of("k1=one", "k2=two", "k3=three"), keys.stream().sorted().toList());

    Cli.Result refused = script(env, "", "groups", "describe", "nobody");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, refused.exitCode(), refused.toString());
    assertTrue(refused.err().startsWith("Error: GROUP_ID_NOT_FOUND (69): "), refused.err());

    Cli.Result usage = script(env, "", "consume");
    assertEquals(RunnelCli.EXIT_USAGE, usage.exitCode(), usage.toString());

    int free;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      free = socket.getLocalPort();
    }
    Cli.Result down = script(env, "", "--http", "http://127.0.0.1:" + free, "cluster");
    assertEquals(RunnelCli.EXIT_UNREACHABLE, down.exitCode(), down.toString());

    Cli.Result version = script(env, "", "--version");
    assertEquals("runnel-cli 0.1.0-SNAPSHOT\n", version.out(), version.toString());
  }
}
