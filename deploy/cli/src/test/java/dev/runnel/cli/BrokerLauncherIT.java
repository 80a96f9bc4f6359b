package dev.runnel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The broker's launcher, {@code deploy/bin/runnel}, as a newcomer starts it: what it prints up to its ready line
 * has no ANSI escapes, no SLF4J warning (the "logging calls during the initialization phase have been intercepted"
 * replay), no JVM warning and no error; the node it starts serves the web console at {@code /}; on Java 25 or newer
 * (when the machine has one, the launcher picks it) the node runs from the AOT cache the launcher trained for this
 * build; SIGTERM stops it. An integration test (failsafe), because the launcher runs the jars {@code mvn package} put
 * into {@code deploy/target/lib}.
 */
@Timeout(300)
class BrokerLauncherIT {

  private static final Path ROOT = Path.of("..", "..").toAbsolutePath().normalize();
  private static final Path SCRIPT = ROOT.resolve("deploy/bin/runnel");
  private static final Pattern READY = Pattern.compile("Runnel ready: http=([^:]+):(\\d+) kafka=.*");

  /**
   * The launcher rebuilds when a source is newer than its jars, which from inside a Maven test would be a build
   * within the build: refuse early, by the launcher's own rule (any file of the modules, target and node_modules
   * left out), saying how to run this test.
   */
  private static void assertPackagedBuildIsCurrent() throws IOException {
    Path marker = ROOT.resolve("deploy/target/lib/runnel-broker-cluster-0.1.0-SNAPSHOT.jar");
    String how = " Run it after the deploy module's package: mvn -pl deploy,deploy/cli -am verify -Dit.test=BrokerLauncherIT";
    if (!Files.isRegularFile(marker)) {
      throw new AssertionError(marker + " is missing." + how);
    }
    FileTime built = Files.getLastModifiedTime(marker);
    List<Path> sources = new ArrayList<>(List.of(ROOT.resolve("pom.xml"), ROOT.resolve("deploy/pom.xml")));
    for (String module : List.of("persistence", "reactive-client", "broker-cluster")) {
      try (Stream<Path> files = Files.walk(ROOT.resolve(module))) {
        files.filter(f -> !f.toString().contains("/target/") && !f.toString().contains("/node_modules/"))
            .filter(Files::isRegularFile).forEach(sources::add);
      }
    }
    for (Path source : sources) {
      if (Files.getLastModifiedTime(source).compareTo(built) > 0) {
        throw new AssertionError(source + " is newer than " + marker + "." + how);
      }
    }
  }

  /** The major version of the Java the launcher picks, by its own rule (deploy/bin/jvm.bash). */
  private static int launcherJavaMajor() throws Exception {
    Process probe = new ProcessBuilder("bash", "-c",
        "root=\"$1\"; source \"$1/deploy/bin/jvm.bash\"; runnel_jvm; echo \"${RUNNEL_JAVA_VERSION%%.*}\"", "probe",
        ROOT.toString()).redirectErrorStream(true).start();
    String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0, out);
    return Integer.parseInt(out);
  }

  /**
   * A training run that fails leaves no cache and costs the node nothing but the wait: the launcher says why and
   * starts it without one. A scratch root whose build is this one's (linked), so the real cache stays as it is; the
   * training node is given a journal profile that does not exist.
   */
  @Test
  void when_theAotTrainingFails_then_theLauncherSaysSoAndStartsWithoutACache() throws Exception {
    Assumptions.assumeTrue(launcherJavaMajor() >= 25, "no Java 25 or newer here: the launcher trains no cache");
    Path scratch = Files.createTempDirectory(Files.createDirectories(Path.of("target", "test-data")), "aot-root-")
        .toAbsolutePath();
    Files.createDirectories(scratch.resolve("deploy/target"));
    Files.createDirectories(scratch.resolve("deploy/bench"));
    Files.createSymbolicLink(scratch.resolve("deploy/target/lib"), ROOT.resolve("deploy/target/lib"));
    Files.createSymbolicLink(scratch.resolve("deploy/target/classes"), ROOT.resolve("deploy/target/classes"));
    Files.createSymbolicLink(scratch.resolve("deploy/bench/logback-bench.xml"),
        ROOT.resolve("deploy/bench/logback-bench.xml"));
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", "set -euo pipefail; root=\"$1\"; "
        + "source \"$2/deploy/bin/jvm.bash\"; runnel_jvm; runnel_jvm_options; "
        + "echo \"options: ${RUNNEL_JVM_OPTIONS[*]}\"",
        "probe", scratch.toString(), ROOT.toString()).redirectErrorStream(true);
    builder.environment().put("RUNNEL_JAVA_OPTS", "-Xmx256m -Drunnel.persistence.profile=no-such-profile");
    Process probe = builder.start();
    String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(probe.waitFor(120, TimeUnit.SECONDS), out);
    assertEquals(0, probe.exitValue(), out);
    assertTrue(out.contains("AOT training failed (the training node did not start)"), out);
    assertTrue(out.contains("options: --sun-misc-unsafe-memory-access=allow"), out);
    assertFalse(out.contains("-XX:AOTCache="), out);
    try (Stream<Path> files = Files.list(scratch.resolve("deploy/target/aot"))) {
      assertEquals(List.of(), files.filter(f -> !f.toString().endsWith(".lock")).toList(), "no cache, no partial file");
    }
  }

  @Test
  void when_newcomerStartsTheBroker_then_itPrintsNothingThatLooksLikeAnErrorAndServesTheConsole() throws Exception {
    assertPackagedBuildIsCurrent();
    Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target", "test-data")), "launcher-");
    Process launcher = new ProcessBuilder(SCRIPT.toString(), "--data-dir", data.toString(), "--http-port", "0",
        "--kafka-port", "0", "--schema-registry-port", "0")
        .redirectErrorStream(true)
        .start();
    launcher.getOutputStream().close();
    List<String> before = new ArrayList<>();
    try {
      BufferedReader lines = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<Matcher> ready = CompletableFuture.supplyAsync(() -> {
        try {
          for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            Matcher matcher = READY.matcher(line);
            if (matcher.matches()) {
              return matcher;
            }
            synchronized (before) {
              before.add(line);
            }
          }
          throw new AssertionError("the launcher ended without its ready line");
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      });
      // A first start on Java 25 trains the cache first (about 40 s on 2 cores).
      Matcher http = ready.get(240, TimeUnit.SECONDS);
      String printed;
      synchronized (before) {
        printed = String.join("\n", before);
      }
      assertFalse(printed.contains("Building Runnel"), "the packaged build is current:\n" + printed);
      assertFalse(printed.contains("\u001b"), "an ANSI escape before the ready line:\n" + printed);
      assertFalse(printed.contains("SLF4J"), "an SLF4J warning before the ready line:\n" + printed);
      assertFalse(printed.contains("ERROR"), "an error before the ready line:\n" + printed);
      assertFalse(printed.contains("WARNING"), "a JVM warning before the ready line:\n" + printed);
      assertFalse(printed.contains("AOT training failed"), "the AOT training failed:\n" + printed);
      // The launcher execs the JVM, so the process is the node's; a JVM started from a cache maps the file.
      String maps = Files.readString(Path.of("/proc", Long.toString(launcher.pid()), "maps"));
      if (launcherJavaMajor() >= 25) {
        assertTrue(maps.contains("/deploy/target/aot/runnel-"), "no AOT cache mapped:\n" + printed);
      } else {
        assertFalse(maps.contains(".aot"), "an AOT cache on Java " + launcherJavaMajor());
      }

      HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://" + http.group(1) + ":" + http.group(2) + "/")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("<title>Runnel console</title>"), page.body());
      // Keep reading, so that the node never blocks on a full pipe while it stops.
      CompletableFuture.runAsync(() -> lines.lines().forEach(line -> { }));
    } finally {
      launcher.destroy();
      assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "SIGTERM did not stop the node within 60 s");
    }
  }
}
