package dev.runnel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code consume}: a topic's records from a start position, to the current end or following new ones, like
 * {@code kafka-console-consumer} (but with no group: nothing is committed). Reads each partition's NDJSON stream;
 * with {@code --follow} all partitions are read at once, one thread each, and their lines interleave.
 */
@Command(name = "consume", description = {"Print a topic's records, one per line.",
    "Without a start option: from the log start, or with --follow from the log end (new records only)."})
final class ConsumeCommand extends CliCommand {

  enum Format { plain, json }

  /** Where to start; at most one. */
  static final class Start {
    @Option(names = "--from-beginning", description = "Start at each partition's log start.")
    boolean fromBeginning;

    @Option(names = "--offset", paramLabel = "N", description = "Start at offset N (needs --partition).")
    Long offset;

    @Option(names = "--timestamp", paramLabel = "MS",
        description = "Start at the first record with a timestamp at or after MS (milliseconds since the epoch).")
    Long timestamp;
  }

  @Parameters(paramLabel = "TOPIC", description = "The topic.")
  String topic;

  @Option(names = "--partition", paramLabel = "P", description = "Read only partition P (default: all).")
  Integer partition;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Start start;

  @Option(names = "--follow", description = "Keep waiting for new records (until --limit, or Ctrl-C).")
  boolean follow;

  @Option(names = "--limit", paramLabel = "N", description = "Stop after N records in all.")
  Long limit;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "plain",
      description = "plain: the value (with --print-key the key, a tab, the value); json: each record's JSON "
          + "(partition, offset, timestamp, key, value, headers). --json means --format json. "
          + "Default ${DEFAULT-VALUE}.")
  Format format;

  @Option(names = "--print-key", description = "plain format: print the key and --key-separator before the value.")
  boolean printKey;

  @Option(names = "--key-separator", paramLabel = "SEP", defaultValue = "\t",
      description = "Between key and value with --print-key (default a tab).")
  String keySeparator;

  @Option(names = "--progress", negatable = true,
      description = "Draw a progress bar on stderr (default: when stderr is a terminal).")
  Boolean progress;

  private final AtomicLong printed = new AtomicLong();
  /** Stdout was closed (a pipe's reader left, as {@code | head} does): the run is over. */
  private volatile boolean outputClosed;

  @Override
  public void run() {
    if (limit != null && limit < 1) {
      throw usage("Invalid value for option '--limit': " + limit + " (at least 1)");
    }
    if (start != null && start.offset != null && partition == null) {
      throw usage("--offset needs --partition: offsets are per partition");
    }
    if (start != null && start.offset != null && start.offset < 0) {
      throw usage("Invalid value for option '--offset': " + start.offset + " (an offset is >= 0)");
    }
    if (start != null && start.timestamp != null && start.timestamp < 0) {
      throw usage("Invalid value for option '--timestamp': " + start.timestamp + " (milliseconds >= 0)");
    }
    BrokerClient client = client();
    JsonNode description = client.get(TopicsCommand.path(topic));
    List<JsonNode> partitions = new ArrayList<>();
    for (JsonNode p : description.path("partitions")) {
      if (partition == null || p.path("partition").asInt() == partition) {
        partitions.add(p);
      }
    }
    if (partitions.isEmpty()) {
      throw new BrokerError("UNKNOWN_TOPIC_OR_PARTITION", 3, "Topic '" + topic + "' has no partition " + partition
          + " (it has " + description.path("partitions").size() + ")", 404);
    }
    List<Long> offsets = new ArrayList<>();
    long available = 0;
    for (JsonNode p : partitions) {
      long from = startOffset(client, p);
      offsets.add(from);
      available += Math.max(0, p.path("log_end_offset").asLong() - from);
    }
    long total = follow ? (limit == null ? -1 : limit) : (limit == null ? available : Math.min(limit, available));
    Progress bar = showProgress() ? new Progress(err(), "records", total, System::nanoTime) : Progress.NONE;
    try {
      if (follow) {
        followAll(client, partitions, offsets, bar);
      } else {
        for (int i = 0; i < partitions.size() && !limitReached(); i++) {
          read(client, partitions.get(i).path("partition").asInt(), offsets.get(i), bar);
        }
      }
    } finally {
      out().flush();
      bar.finish();
    }
  }

  private long startOffset(BrokerClient client, JsonNode p) {
    int number = p.path("partition").asInt();
    if (start != null && start.offset != null) {
      return start.offset;
    }
    if (start != null && start.timestamp != null) {
      return client.get(TopicsCommand.path(topic) + "/partitions/" + number + "/offsets?timestamp=" + start.timestamp)
          .path("offset").asLong();
    }
    boolean fromEnd = follow && (start == null || !start.fromBeginning);
    return fromEnd ? p.path("log_end_offset").asLong() : p.path("log_start_offset").asLong();
  }

  /** The limit is reached or nobody reads stdout any more. */
  private boolean limitReached() {
    return outputClosed || limit != null && printed.get() >= limit;
  }

  /** One partition from {@code offset} to the end (or for ever when following), printing each record. */
  private void read(BrokerClient client, int number, long offset, Progress bar) {
    StringBuilder path = new StringBuilder(TopicsCommand.path(topic)).append("/partitions/").append(number)
        .append("/records?offset=").append(offset);
    if (limit != null) {
      path.append("&limit=").append(limit - printed.get());
    }
    if (follow) {
      path.append("&follow=true");
    }
    try (BufferedReader lines = client.stream(path.toString())) {
      String line;
      while (!limitReached() && (line = lines.readLine()) != null) {
        if (line.isBlank()) {
          continue; // a keep-alive
        }
        JsonNode record = BrokerClient.parse(line);
        if (record.has("error")) {
          throw new BrokerError(record.path("error").asText(), record.path("code").asInt(-1),
              record.path("message").asText(""), 200);
        }
        print(record, bar);
      }
    } catch (IOException e) {
      if (!limitReached()) {
        throw new BrokerUnreachable("the record stream of partition " + number + " broke off: " + e.getMessage(), e);
      }
    }
  }

  private synchronized void print(JsonNode record, Progress bar) {
    if (limitReached()) {
      return;
    }
    PrintWriter out = out();
    if (format == Format.json || json()) {
      out.println(record.toString());
    } else {
      if (printKey) {
        out.print(text(record.path("key")));
        out.print(keySeparator);
      }
      out.println(text(record.path("value")));
    }
    // checkError flushes: a follower shows each record at once, others every thousand records.
    if ((printed.incrementAndGet() % 1000 == 0 || follow) && out.checkError()) {
      outputClosed = true;
    }
    bar.advance(1);
    if (limitReached()) {
      notifyAll();
    }
  }

  /** A key or value as text: a string as itself, JSON as its compact text, null as kafka-console-consumer does. */
  private static String text(JsonNode value) {
    if (value.isMissingNode() || value.isNull()) {
      return "null";
    }
    return value.isTextual() ? value.asText() : value.toString();
  }

  /** Every partition at once until the limit; the first failure of any partition ends the run. */
  private void followAll(BrokerClient client, List<JsonNode> partitions, List<Long> offsets, Progress bar) {
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    CountDownLatch ended = new CountDownLatch(partitions.size());
    for (int i = 0; i < partitions.size(); i++) {
      int number = partitions.get(i).path("partition").asInt();
      long offset = offsets.get(i);
      Thread reader = new Thread(() -> {
        try {
          read(client, number, offset, bar);
        } catch (RuntimeException e) {
          failure.compareAndSet(null, e);
        } finally {
          ended.countDown();
          synchronized (this) {
            notifyAll();
          }
        }
      }, "consume-" + topic + "-" + number);
      reader.setDaemon(true);
      reader.start();
    }
    synchronized (this) {
      while (!limitReached() && failure.get() == null && ended.getCount() > 0) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    // Readers still blocked on a quiet partition are daemons: leaving the command ends them with the JVM, and an
    // in-process caller is not held up by them (they stop at their next line once the limit is reached).
    if (failure.get() != null && !limitReached()) {
      throw failure.get();
    }
  }

  private boolean showProgress() {
    return progress != null ? progress : cli().stderrTerminal();
  }
}
