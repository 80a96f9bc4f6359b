package dev.runnel.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A partition's answer completes the broker's stage on the thread that delivers it (the partition's dispatcher
 * thread), so the protocol handlers' work after it runs there, without a hand-off to {@code ForkJoinPool.commonPool}
 * as Pekko's javadsl {@code EntityRef.ask} would make.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DirectAskTest {

  private static RunnelNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir());
    node.broker().createTopic("direct", 1, Map.of()).toCompletableFuture().get();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void when_aPartitionAnswers_then_whatDependsOnTheAnswerRunsOnThePartitionsThread() throws Exception {
    Broker broker = node.broker();
    PartitionId partition = broker.partition("direct", 0);
    // A fetch at the log end waits for data, so its dependent is attached long before the answer comes.
    CompletableFuture<String> fetchedOn = broker.fetch(partition, 0, 1 << 20, Duration.ofSeconds(30))
        .thenApply(result -> {
          assertEquals(Errors.NONE, result.error());
          assertTrue(result.records().hasRemaining(), "the long poll was answered by the append");
          return Thread.currentThread().getName();
        })
        .toCompletableFuture();
    AppendResult appended = broker.append(partition, MemoryRecords.withRecords(Compression.NONE,
        new SimpleRecord("wakes the fetch".getBytes(StandardCharsets.UTF_8))).buffer(), (short) 1)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(Errors.NONE, appended.error());

    String thread = fetchedOn.get(30, TimeUnit.SECONDS);
    assertFalse(thread.contains("ForkJoinPool.commonPool"), "ran on " + thread + ", a hand-off to the common pool");
    assertTrue(thread.contains("pekko.actor.default-dispatcher"), "ran on " + thread
        + ", not the partition's dispatcher thread");
    FetchResult again = broker.fetch(partition, 0, 1 << 20, Duration.ZERO).toCompletableFuture().get();
    assertEquals(1, again.highWatermark());
  }
}
