package dev.runnel.broker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.group.OffsetCommitRequest;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node stopping while clients keep sending: once it begins to stop, requests for its partitions and
 * coordinators are answered with a retriable error at once (clients look for the next host), so none is sent to a
 * shard region that is handing its shards off. Such a request used to stay buffered in the region, which then
 * waited out its whole shutdown phase (10 s) before the node could stop, and the request its timeout.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NodeStopTest {

  /** Pekko's cluster-sharding-shutdown-region phase timeout: a stop held by a buffered request takes this long. */
  private static final long REGION_PHASE_MILLIS = 10_000;

  @Test
  void when_appendsKeepArrivingWhileTheNodeStops_then_itStopsWithoutWaitingOutTheHandOff_and_eachIsAnswered()
      throws Exception {
    RunnelNode node = TestNodes.start(TestNodes.newDataDir());
    LogProbe.await(node.broker().createTopic("stopping", 4, Map.of()));
    stopWhileSending(node, i -> {
      PartitionId partition = node.broker().partition("stopping", i % 4);
      return node.broker().append(partition, LogProbe.batch(1L, List.of("k"), List.of("v" + i)), (short) 1)
          .thenApply(result -> result.error());
    }, Errors.NOT_LEADER_OR_FOLLOWER);
  }

  @Test
  void when_offsetCommitsKeepArrivingWhileTheNodeStops_then_itStopsWithoutWaitingOutTheHandOff_and_eachIsAnswered()
      throws Exception {
    RunnelNode node = TestNodes.start(TestNodes.newDataDir());
    LogProbe.await(node.broker().createTopic("committed", 1, Map.of()));
    TopicPartition partition = new TopicPartition("committed", 0);
    Function<PartitionErrors, Errors> outcome = errors -> errors.partitions().getOrDefault(partition, errors.error());
    stopWhileSending(node, i -> node.groups().commitOffsets("group-" + i % 8, new OffsetCommitRequest("", null, -1,
            Map.of(partition, new OffsetCommitRequest.Offset(i, -1, "")))).thenApply(outcome),
        Errors.COORDINATOR_NOT_AVAILABLE);
  }

  /**
   * Sends requests ({@code send} of a running count) every millisecond, closes the node once 200 have succeeded,
   * and checks that the stop did not wait out the hand-off and every request was answered NONE or {@code refusal},
   * some of them {@code refusal}.
   */
  private static void stopWhileSending(RunnelNode node, IntFunction<CompletionStage<Errors>> send, Errors refusal)
      throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    ConcurrentLinkedQueue<CompletableFuture<Errors>> sent = new ConcurrentLinkedQueue<>();
    Thread sender = new Thread(() -> {
      for (int i = 0; running.get(); i++) {
        sent.add(send.apply(i).toCompletableFuture());
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sender.start();
    while (sent.stream().filter(request -> request.isDone() && request.join() == Errors.NONE).count() < 200) {
      Thread.sleep(10);
    }

    long start = System.nanoTime();
    node.close();
    long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    running.set(false);
    sender.join();

    assertTrue(stopMillis < REGION_PHASE_MILLIS - 2_000,
        "the stop took " + stopMillis + " ms: a request reached a shard region during its hand-off");
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    Set<Errors> outcomes = sent.stream().map(CompletableFuture::join).collect(Collectors.toSet());
    assertTrue(Set.of(Errors.NONE, refusal).containsAll(outcomes),
        "every request is served or sent elsewhere, none waits out its timeout: " + outcomes);
    assertTrue(outcomes.contains(refusal), "requests arrived while the node stopped: " + outcomes);
  }
}
