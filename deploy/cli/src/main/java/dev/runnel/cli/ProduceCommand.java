package dev.runnel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code produce}: one record per line of stdin or a file, like {@code kafka-console-producer}, sent many lines per
 * HTTP request. Values (and keys) are sent as JSON strings, so they are stored as their UTF-8 text.
 */
@Command(name = "produce", description = {"Produce one record per input line (stdin, or --file).",
    "With --key-separator each line is KEY<SEP>VALUE (kafka-console-producer's parse.key)."})
final class ProduceCommand extends CliCommand {

  /** Body bytes per request, well under the broker's default max-request-size (8 MiB). */
  static final int MAX_REQUEST_BYTES = 1 << 20;

  @Parameters(paramLabel = "TOPIC", description = "The topic.")
  String topic;

  @Option(names = "--file", paramLabel = "FILE", description = "Read the lines from FILE instead of stdin.")
  Path file;

  @Option(names = "--key-separator", paramLabel = "SEP",
      description = "Split each line at the first SEP into key and value; a line without SEP is an error.")
  String keySeparator;

  @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A header on every record; repeatable.")
  List<String> headers = new ArrayList<>();

  @Option(names = "--partition", paramLabel = "P",
      description = "Write every record to partition P (default: by key, keyless ones round robin).")
  Integer partition;

  @Option(names = "--batch-size", paramLabel = "N", defaultValue = "500",
      description = "Most records per HTTP request (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--progress", negatable = true,
      description = "Draw a progress bar on stderr (default: when stderr is a terminal).")
  Boolean progress;

  /** Records and offsets of one partition. */
  private static final class Written {
    long records;
    long first = -1;
    long last = -1;
  }

  @Override
  public void run() {
    if (batchSize < 1 || batchSize > 10_000) {
      throw usage("Invalid value for option '--batch-size': " + batchSize + " (1 to 10000)");
    }
    if (keySeparator != null && keySeparator.isEmpty()) {
      throw usage("Invalid value for option '--key-separator': it must not be empty");
    }
    if (partition != null && partition < 0) {
      throw usage("Invalid value for option '--partition': " + partition + " (a partition number is >= 0)");
    }
    ObjectNode headerObject = BrokerClient.object();
    for (String header : headers) {
      String[] kv = keyValue(header, "--header");
      headerObject.put(kv[0], kv[1]);
    }
    BrokerClient client = client();
    String path = TopicsCommand.path(topic) + "/records";
    Map<Integer, Written> written = new TreeMap<>();
    Progress bar = progress(countLines());
    long lineNumber = 0;
    try (BufferedReader lines = open()) {
      ArrayNode batch = BrokerClient.JSON.createArrayNode();
      long batchBytes = 0;
      String line;
      while ((line = lines.readLine()) != null) {
        lineNumber++;
        ObjectNode record = record(line, lineNumber, headerObject);
        batch.add(record);
        batchBytes += line.length() * 2L + 64;
        if (batch.size() >= batchSize || batchBytes >= MAX_REQUEST_BYTES) {
          send(client, path, batch, written);
          bar.advance(batch.size());
          batch = BrokerClient.JSON.createArrayNode();
          batchBytes = 0;
        }
      }
      if (!batch.isEmpty()) {
        send(client, path, batch, written);
        bar.advance(batch.size());
      }
    } catch (IOException e) {
      throw usage("Cannot read " + (file == null ? "stdin" : file) + ": " + e.getMessage());
    } finally {
      bar.finish();
    }
    report(written);
  }

  private ObjectNode record(String line, long lineNumber, ObjectNode headerObject) {
    ObjectNode record = BrokerClient.object();
    if (keySeparator == null) {
      record.put("value", line);
    } else {
      int at = line.indexOf(keySeparator);
      if (at < 0) {
        throw usage("Line " + lineNumber + " has no key separator '" + keySeparator
            + "' (records before it were sent)");
      }
      record.put("key", line.substring(0, at));
      record.put("value", line.substring(at + keySeparator.length()));
    }
    if (!headerObject.isEmpty()) {
      record.set("headers", headerObject);
    }
    if (partition != null) {
      record.put("partition", partition);
    }
    return record;
  }

  private static void send(BrokerClient client, String path, ArrayNode batch, Map<Integer, Written> written) {
    ObjectNode body = BrokerClient.object();
    body.set("records", batch);
    for (JsonNode offset : client.post(path, body).path("offsets")) {
      Written w = written.computeIfAbsent(offset.path("partition").asInt(), p -> new Written());
      long at = offset.path("offset").asLong();
      w.records++;
      w.first = w.first < 0 ? at : Math.min(w.first, at);
      w.last = Math.max(w.last, at);
    }
  }

  private void report(Map<Integer, Written> written) {
    long total = written.values().stream().mapToLong(w -> w.records).sum();
    if (json()) {
      ObjectNode answer = BrokerClient.object().put("topic", topic).put("records", total);
      ArrayNode partitions = answer.putArray("partitions");
      written.forEach((p, w) -> partitions.addObject().put("partition", p).put("records", w.records)
          .put("first_offset", w.first).put("last_offset", w.last));
      printJson(answer);
      return;
    }
    out().println("Produced " + total + " record(s) to " + topic + ".");
    if (total > 0) {
      Table table = new Table("PARTITION", "RECORDS", "FIRST-OFFSET", "LAST-OFFSET");
      written.forEach((p, w) -> table.row(p, w.records, w.first, w.last));
      table.print(out());
    }
  }

  private BufferedReader open() {
    if (file == null) {
      return new BufferedReader(new InputStreamReader(cli().stdin(), StandardCharsets.UTF_8));
    }
    try {
      return Files.newBufferedReader(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw usage("Invalid value for option '--file': " + file + " does not exist");
    } catch (IOException e) {
      throw usage("Invalid value for option '--file': cannot read " + file + ": " + e.getMessage());
    }
  }

  /** The number of lines of {@code --file}, for the bar's total; -1 for stdin or without a bar. */
  private long countLines() {
    if (file == null || !showProgress() || !Files.isRegularFile(file)) {
      return -1;
    }
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      return lines.count();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  private boolean showProgress() {
    return progress != null ? progress : cli().stderrTerminal();
  }

  private Progress progress(long total) {
    return showProgress() ? new Progress(err(), "records", total, System::nanoTime) : Progress.NONE;
  }
}
