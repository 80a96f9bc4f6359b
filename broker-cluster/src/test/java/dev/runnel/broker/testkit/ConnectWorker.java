package dev.runnel.broker.testkit;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Kafka Connect 4.3.1 distributed worker in its own JVM ({@code ConnectDistributed}, as
 * {@code connect-distributed.sh} runs it), on Kafka's own classpath ({@link KafkaPrograms}), with its REST API on a
 * loopback port of its own. Its properties, its log and its output are kept in its directory.
 */
public final class ConnectWorker implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int restPort;
  private final Path dir;

  private ConnectWorker(Process process, int restPort, Path dir) {
    this.process = process;
    this.restPort = restPort;
    this.dir = dir;
  }

  /**
   * Starts a worker with {@code properties} (its worker config, without the REST listener, which is chosen here)
   * and does not wait for it: see {@link #awaitReady()}.
   */
  public static ConnectWorker start(Path dir, Map<String, String> properties) throws IOException {
    Files.createDirectories(dir);
    int restPort = NodeProcess.freePort();
    Map<String, String> config = new TreeMap<>(properties);
    config.put("listeners", "http://127.0.0.1:" + restPort);
    config.put("rest.advertised.host.name", "127.0.0.1");
    config.put("rest.advertised.port", Integer.toString(restPort));
    Path workerProperties = dir.resolve("worker.properties");
    Files.writeString(workerProperties, config.entrySet().stream()
        .map(entry -> entry.getKey() + "=" + entry.getValue())
        .collect(Collectors.joining("\n", "", "\n")));
    Path log4j = dir.resolve("log4j2.properties");
    Files.writeString(log4j, String.join("\n",
        "status = warn",
        "appender.file.type = File",
        "appender.file.name = file",
        "appender.file.fileName = " + dir.resolve("worker.log"),
        "appender.file.layout.type = PatternLayout",
        "appender.file.layout.pattern = [%d] %p %m (%c)%n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.file.ref = file",
        ""));
    Process process = new ProcessBuilder(KafkaPrograms.command(
        List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dlog4j2.configurationFile=" + log4j.toUri()),
        "org.apache.kafka.connect.cli.ConnectDistributed", List.of(workerProperties.toString())))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("stdout.log").toFile())
        .start();
    // A test JVM that ends abruptly (a Surefire timeout) must not leave workers running on the machine.
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "connect-worker-reaper"));
    return new ConnectWorker(process, restPort, dir);
  }

  /** Waits until the worker's REST API answers, which it does once it has joined its group. */
  public ConnectWorker awaitReady() {
    await("worker " + id() + " answering REST (log in " + dir + ")")
        .atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
        .until(() -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("worker " + id() + " exited with " + process.exitValue()
                + "; see " + dir.resolve("worker.log") + " and " + dir.resolve("stdout.log"));
          }
          return tryGet("/connectors") == 200;
        });
    return this;
  }

  /** The worker id Connect reports in connector and task statuses: its advertised REST host and port. */
  public String id() {
    return "127.0.0.1:" + restPort;
  }

  public int restPort() {
    return restPort;
  }

  public Path dir() {
    return dir;
  }

  /** {@code GET path}: the answer's status code and JSON body. */
  public Response get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  /** {@code POST path} with a JSON body, as {@code curl -X POST -H 'Content-Type: application/json'} sends it. */
  public Response post(String path, Object body) {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json(body))));
  }

  /** {@code PUT path} with a JSON body. */
  public Response put(String path, Object body) {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(json(body))));
  }

  /** An answer of the REST API. */
  public record Response(int status, JsonNode body) {}

  private Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response =
          HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      String body = response.body();
      return new Response(response.statusCode(), body.isBlank() ? JSON.nullNode() : JSON.readTree(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The status of {@code GET path}, or -1 while nothing listens. */
  private int tryGet(String path) throws InterruptedException {
    try {
      return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      // Not listening yet, or not answering while it starts.
      return -1;
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + restPort + path);
  }

  private static String json(Object body) {
    try {
      return JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGKILL: the worker leaves no group and commits nothing more; waits for the process to end. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("killed worker " + id() + " did not exit");
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM, a clean stop (the worker leaves its group), then SIGKILL if it is still there after 30 s. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }

  /** The worker's log, for a failure message. */
  public String log() {
    try {
      return Files.readString(dir.resolve("worker.log"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
