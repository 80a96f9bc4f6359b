package dev.runnel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code produce} and {@code consume} against a real node: keys, headers, files, start positions, follow, limits. */
@Timeout(120)
class ProduceConsumeCommandTest {

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

  private static List<JsonNode> records(Cli.Result result) {
    assertEquals(0, result.exitCode(), result.toString());
    return result.out().lines().map(BrokerClient::parse).toList();
  }

  @Test
  void when_linesWithKeysAndHeadersAreProduced_then_consumeShowsThemInOrderAsPlainAndJson() {
    assertEquals(0, cli.run("topics", "create", "keyed", "--partitions", "1").exitCode());

    Cli.Result produced = cli.runWithInput("user-1:book\nuser-2:pen:blue\nuser-1:\n",
        "produce", "keyed", "--key-separator", ":", "--header", "trace=abc", "--header", "source=cli");

    assertEquals(0, produced.exitCode(), produced.toString());
    assertTrue(produced.out().startsWith("Produced 3 record(s) to keyed.\n"), produced.out());
    assertTrue(produced.out().lines().anyMatch(l -> l.matches("0\\s+3\\s+0\\s+2")), produced.out());

    Cli.Result plain = cli.run("consume", "keyed", "--print-key", "--key-separator", "=");
    assertEquals(0, plain.exitCode(), plain.toString());
    assertEquals("user-1=book\nuser-2=pen:blue\nuser-1=\n", plain.out(), "split at the first separator only");

    List<JsonNode> json = records(cli.run("consume", "keyed", "--format", "json"));
    assertEquals(3, json.size());
    assertEquals(1, json.get(1).path("offset").asLong());
    assertEquals("user-2", json.get(1).path("key").asText());
    assertEquals("pen:blue", json.get(1).path("value").asText());
    assertEquals("abc", json.get(1).path("headers").path("trace").asText());
    assertEquals("cli", json.get(1).path("headers").path("source").asText());
    assertEquals(json, records(cli.run("--json", "consume", "keyed")), "--json is --format json");
  }

  @Test
  void when_aFileIsProducedInBatches_then_everyLineIsARecordAndTheJsonSummaryCountsThem(@TempDir Path dir)
      throws IOException {
    assertEquals(0, cli.run("topics", "create", "filed", "--partitions", "3").exitCode());
    Path file = dir.resolve("lines.txt");
    Files.writeString(file, IntStream.range(0, 1234).mapToObj(i -> "line-" + i)
        .collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);

    Cli.Result produced = cli.run("produce", "filed", "--file", file.toString(), "--batch-size", "100", "--json",
        "--progress");

    assertEquals(0, produced.exitCode(), produced.toString());
    JsonNode summary = produced.json();
    assertEquals(1234, summary.path("records").asLong(), produced.out());
    long sum = 0;
    for (JsonNode p : summary.path("partitions")) {
      sum += p.path("records").asLong();
      assertEquals(p.path("records").asLong() - 1, p.path("last_offset").asLong() - p.path("first_offset").asLong());
    }
    assertEquals(1234, sum);
    assertTrue(summary.path("partitions").size() > 1, "keyless batches go round robin: " + produced.out());
    assertTrue(produced.err().contains("100% 1,234/1,234 records"), "the bar on stderr: " + produced.err());
    assertFalse(produced.out().contains("records/s"), "no progress in the JSON on stdout");

    Cli.Result consumed = cli.run("consume", "filed", "--progress");
    assertEquals(0, consumed.exitCode(), consumed.toString());
    List<String> values = consumed.out().lines().sorted().toList();
    assertEquals(IntStream.range(0, 1234).mapToObj(i -> "line-" + i).sorted().toList(), values);
    assertTrue(consumed.err().contains("100% 1,234/1,234 records"), consumed.err());

    Cli.Result limited = cli.run("consume", "filed", "--limit", "10");
    assertEquals(10, limited.out().lines().count(), limited.toString());
  }

  @Test
  void when_consumeStartsAtAnOffsetOrTimestamp_then_itReadsFromThere() {
    assertEquals(0, cli.run("topics", "create", "positioned", "--partitions", "2").exitCode());
    // The records of one request share its timestamp: two requests, the second on a later millisecond.
    assertEquals(0, cli.runWithInput("a\nb\n", "produce", "positioned", "--partition", "1").exitCode());
    long first = records(cli.run("consume", "positioned", "--partition", "1", "--format", "json")).get(1)
        .path("timestamp").asLong();
    while (System.currentTimeMillis() <= first) {
      Thread.onSpinWait();
    }
    assertEquals(0, cli.runWithInput("c\nd\ne\n", "produce", "positioned", "--partition", "1").exitCode());

    Cli.Result fromOffset = cli.run("consume", "positioned", "--partition", "1", "--offset", "3");
    assertEquals("d\ne\n", fromOffset.out(), fromOffset.toString());

    List<JsonNode> all = records(cli.run("consume", "positioned", "--partition", "1", "--format", "json"));
    long later = all.get(2).path("timestamp").asLong();
    Cli.Result fromTime = cli.run("consume", "positioned", "--timestamp", Long.toString(later));
    assertEquals("c\nd\ne\n", fromTime.out(), "from the first record at the timestamp, all partitions: " + fromTime);
    assertEquals("", cli.run("consume", "positioned", "--timestamp", Long.toString(later + 1)).out(),
        "after the newest record: nothing");
    assertEquals("", cli.run("consume", "positioned", "--partition", "0").out(), "an empty partition");
  }

  @Test
  void when_following_then_recordsProducedLaterArriveAndTheLimitEndsTheRun() throws Exception {
    assertEquals(0, cli.run("topics", "create", "followed", "--partitions", "2").exitCode());
    assertEquals(0, cli.runWithInput("old\n", "produce", "followed", "--partition", "0").exitCode());

    CompletableFuture<Cli.Result> following = CompletableFuture.supplyAsync(
        () -> cli.run("consume", "followed", "--follow", "--limit", "2", "--format", "json"));
    // The follow starts at the log end: "old" is before it. Produce until the reader has seen two new records
    // (a record produced before its streams opened is not shown, so keep producing).
    int sent = 0;
    while (!following.isDone() && sent < 100) {
      assertEquals(0, cli.runWithInput("new-" + sent + "\n", "produce", "followed",
          "--partition", Integer.toString(sent % 2)).exitCode());
      sent++;
      try {
        following.get(200, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // not yet
      }
    }
    List<JsonNode> seen = records(following.get(30, TimeUnit.SECONDS));
    assertEquals(2, seen.size(), seen.toString());
    for (JsonNode record : seen) {
      assertTrue(record.path("value").asText().startsWith("new-"), "only records after the start: " + seen);
    }

    Cli.Result fromBeginning = cli.run("consume", "followed", "--follow", "--from-beginning", "--partition", "0",
        "--limit", "1");
    assertEquals("old\n", fromBeginning.out(), fromBeginning.toString());
  }

  @Test
  void when_stdoutIsClosedWhileFollowing_then_consumeEnds() {
    assertEquals(0, cli.run("topics", "create", "piped", "--partitions", "1").exitCode());
    assertEquals(0, cli.runWithInput("a\nb\nc\n", "produce", "piped").exitCode());
    // Like `runnel-cli consume piped --follow | head -1`: the reader goes away after the first line.
    OutputStream head = new OutputStream() {
      private int lines;

      @Override
      public void write(int b) throws IOException {
        if (lines >= 1) {
          throw new IOException("Broken pipe");
        }
        if (b == '\n') {
          lines++;
        }
      }
    };
    CommandLine commandLine = RunnelCli.commandLine(new RunnelCli(InputStream.nullInputStream(), false));
    commandLine.setOut(new PrintWriter(head, true));
    commandLine.setErr(new PrintWriter(new StringWriter(), true));

    int exitCode = commandLine.execute("--http=http://127.0.0.1:" + node.httpPort(), "consume", "piped",
        "--follow", "--from-beginning");

    assertEquals(0, exitCode, "a follower without a reader stops instead of running for ever");
  }

  @Test
  void when_produceOrConsumeArgumentsAreBad_then_aClearMessageAndANonZeroExit(@TempDir Path dir) {
    assertEquals(0, cli.run("topics", "create", "strict", "--partitions", "1").exitCode());

    Cli.Result noSeparator = cli.runWithInput("k:v\nnoseparator\n", "produce", "strict", "--key-separator", ":");
    assertEquals(RunnelCli.EXIT_USAGE, noSeparator.exitCode(), noSeparator.toString());
    assertTrue(noSeparator.err().contains("Line 2 has no key separator ':'"), noSeparator.err());

    Cli.Result missingFile = cli.run("produce", "strict", "--file", dir.resolve("absent.txt").toString());
    assertEquals(RunnelCli.EXIT_USAGE, missingFile.exitCode(), missingFile.toString());
    assertTrue(missingFile.err().contains("does not exist"), missingFile.err());

    Cli.Result badHeader = cli.runWithInput("x\n", "produce", "strict", "--header", "novalue");
    assertEquals(RunnelCli.EXIT_USAGE, badHeader.exitCode(), badHeader.toString());
    assertTrue(badHeader.err().contains("'novalue' is not KEY=VALUE"), badHeader.err());

    Cli.Result badPartition = cli.runWithInput("x\n", "produce", "strict", "--partition", "9");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, badPartition.exitCode(), badPartition.toString());
    assertTrue(badPartition.err().startsWith("Error: UNKNOWN_TOPIC_OR_PARTITION (3): "), badPartition.err());

    Cli.Result offsetWithoutPartition = cli.run("consume", "strict", "--offset", "1");
    assertEquals(RunnelCli.EXIT_USAGE, offsetWithoutPartition.exitCode(), offsetWithoutPartition.toString());
    assertTrue(offsetWithoutPartition.err().contains("--offset needs --partition"), offsetWithoutPartition.err());

    Cli.Result twoStarts = cli.run("consume", "strict", "--from-beginning", "--timestamp", "5");
    assertEquals(RunnelCli.EXIT_USAGE, twoStarts.exitCode(), twoStarts.toString());
    assertTrue(twoStarts.err().contains("mutually exclusive"), twoStarts.err());

    Cli.Result badFormat = cli.run("consume", "strict", "--format", "xml");
    assertEquals(RunnelCli.EXIT_USAGE, badFormat.exitCode(), badFormat.toString());
    assertTrue(badFormat.err().contains("--format"), badFormat.err());

    Cli.Result badLimit = cli.run("consume", "strict", "--limit", "0");
    assertEquals(RunnelCli.EXIT_USAGE, badLimit.exitCode(), badLimit.toString());

    Cli.Result outOfRange = cli.run("consume", "strict", "--partition", "0", "--offset", "50");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, outOfRange.exitCode(), outOfRange.toString());
    assertTrue(outOfRange.err().startsWith("Error: OFFSET_OUT_OF_RANGE (1): "), outOfRange.err());

    Cli.Result noPartition = cli.run("consume", "strict", "--partition", "3");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, noPartition.exitCode(), noPartition.toString());
    assertTrue(noPartition.err().startsWith("Error: UNKNOWN_TOPIC_OR_PARTITION (3): "), noPartition.err());

    Cli.Result unknownTopic = cli.run("consume", "nowhere");
    assertEquals(RunnelCli.EXIT_BROKER_ERROR, unknownTopic.exitCode(), unknownTopic.toString());
    assertTrue(unknownTopic.err().startsWith("Error: UNKNOWN_TOPIC_OR_PARTITION (3): "), unknownTopic.err());
  }
}
