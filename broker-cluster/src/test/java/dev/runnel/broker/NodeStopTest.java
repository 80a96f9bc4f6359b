package dev.runnel.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node stopping while clients keep producing: once it begins to stop, its partitions' requests are answered
 * NOT_LEADER_OR_FOLLOWER at once (clients look for the next host), so none is sent to a shard region that is handing
 * its shards off. Such a request used to stay buffered in the region, which then waited out its whole shutdown phase
 * (10 s) before the node could stop, and the request its timeout.
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
    AtomicBoolean running = new AtomicBoolean(true);
    ConcurrentLinkedQueue<CompletableFuture<AppendResult>> sent = new ConcurrentLinkedQueue<>();
    Thread producer = new Thread(() -> {
      for (int i = 0; running.get(); i++) {
        PartitionId partition = node.broker().partition("stopping", i % 4);
        sent.add(node.broker().append(partition, LogProbe.batch(1L, List.of("k"), List.of("v" + i)), (short) 1)
            .toCompletableFuture());
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    producer.start();
    while (sent.stream().filter(append -> append.isDone() && append.join().isStored()).count() < 200) {
      Thread.sleep(10);
    }

    long start = System.nanoTime();
    node.close();
    long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    running.set(false);
    producer.join();

    assertTrue(stopMillis < REGION_PHASE_MILLIS - 2_000,
        "the stop took " + stopMillis + " ms: a request reached a shard region during its hand-off");
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    Set<Errors> outcomes = sent.stream().map(append -> append.join().error()).collect(Collectors.toSet());
    assertTrue(Set.of(Errors.NONE, Errors.NOT_LEADER_OR_FOLLOWER).containsAll(outcomes),
        "every append is stored or sent elsewhere, none waits out its timeout: " + outcomes);
    assertEquals(true, outcomes.contains(Errors.NOT_LEADER_OR_FOLLOWER), "appends arrived while the node stopped");
  }
}
