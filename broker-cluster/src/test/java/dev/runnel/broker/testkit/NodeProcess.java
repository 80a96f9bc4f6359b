package dev.runnel.broker.testkit;

import dev.runnel.broker.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A Runnel node in its own JVM, started through {@link Main} as the launcher does; tests stop it with SIGTERM,
 * kill it with SIGKILL, or freeze and thaw it with SIGSTOP and SIGCONT.
 */
public final class NodeProcess implements AutoCloseable {

  private final Process process;

  private NodeProcess(Process process) {
    this.process = process;
  }

  /** A TCP port that was free a moment ago. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a node on {@code dataDir} with HTTP on {@code httpPort} and waits for its ready line. */
  public static NodeProcess start(Path dataDir, int httpPort) throws Exception {
    return start(dataDir, httpPort, 0, List.of("-Xmx512m"), null);
  }

  /**
   * Starts a node with these JVM options ({@code -D} settings among them), copying its output to {@code log}
   * when it is not null, and waits for its ready line.
   */
  public static NodeProcess start(Path dataDir, int httpPort, int kafkaPort, List<String> jvmOptions, Path log)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A free registry port unless the options name one (the JVM takes the last -D of a name): several test nodes
    // on one machine must not all reach for 8081.
    command.add("-Drunnel.broker.schema-registry.port=0");
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "--data-dir", dataDir.toString(),
        "--http-port", Integer.toString(httpPort),
        "--kafka-port", Integer.toString(kafkaPort)));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines =
              new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
          Writer copy = log == null ? Writer.nullWriter() : Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
        String line;
        while ((line = lines.readLine()) != null) {
          copy.write(line);
          copy.write('\n');
          copy.flush();
          if (line.startsWith("Runnel ready")) {
            ready.complete(null);
          }
        }
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
      ready.completeExceptionally(new IllegalStateException("node process ended before it was ready"));
    }, "node-process-output");
    reader.setDaemon(true);
    reader.start();
    try {
      // Generous: on a loaded 2-core machine several JVMs starting at once take long.
      ready.get(180, TimeUnit.SECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      throw e;
    }
    return new NodeProcess(process);
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM: the node leaves the cluster gracefully (coordinated shutdown) and exits; waits for the exit. */
  public void terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("node process did not exit within 60 s of SIGTERM");
    }
  }

  /** SIGSTOP: the JVM is frozen, its sockets stay open, it answers nothing until {@link #thaw()}. */
  public void freeze() throws Exception {
    signal("STOP");
  }

  /** SIGCONT after {@link #freeze()}. */
  public void thaw() throws Exception {
    signal("CONT");
  }

  private void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("killed node process did not exit");
    }
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      // A frozen process ignores SIGKILL until it runs again.
      signal("CONT");
      kill();
    }
  }
}
