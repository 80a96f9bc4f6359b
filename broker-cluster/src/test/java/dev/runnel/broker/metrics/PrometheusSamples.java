package dev.runnel.broker.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A scrape as parsed by the Prometheus Python client's text-format parser ({@code prometheus_client}, Debian's
 * python3-prometheus-client, installed by deploy/bin/test-services): a real parser, so a malformed exposition fails
 * the test instead of being read leniently.
 */
record PrometheusSamples(List<Sample> samples) {

  record Sample(String name, Map<String, String> labels, double value) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  static PrometheusSamples parse(String exposition) {
    try {
      Path script = Files.createTempFile("prometheus_parse", ".py");
      try (InputStream source = PrometheusSamples.class.getResourceAsStream("/prometheus_parse.py")) {
        Files.write(script, source.readAllBytes());
      }
      Process parser = new ProcessBuilder("/usr/bin/python3", script.toString()).redirectErrorStream(false).start();
      parser.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
      parser.getOutputStream().close();
      byte[] out = parser.getInputStream().readAllBytes();
      String err = new String(parser.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!parser.waitFor(60, TimeUnit.SECONDS) || parser.exitValue() != 0) {
        throw new AssertionError("the Prometheus parser refused the exposition: " + err);
      }
      Files.delete(script);
      List<Sample> samples = new ArrayList<>();
      for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode node = JSON.readTree(line);
        samples.add(new Sample(node.get("name").asText(),
            JSON.convertValue(node.get("labels"), JSON.getTypeFactory().constructMapType(
                Map.class, String.class, String.class)),
            node.get("value").asDouble()));
      }
      return new PrometheusSamples(samples);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The value of the one sample with this name whose labels include these, if there is one. */
  Optional<Double> value(String name, Map<String, String> labels) {
    List<Sample> matching = samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .toList();
    if (matching.size() > 1) {
      throw new AssertionError(matching.size() + " samples match " + name + labels + ": " + matching);
    }
    return matching.stream().findFirst().map(Sample::value);
  }

  /** The sum of every sample with this name whose labels include these (0 when there is none). */
  double sum(String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value).sum();
  }
}
