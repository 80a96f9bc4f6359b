package dev.runnel.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The thread pools a node runs on (runnel-pekko.conf): Runnel's sizes win over Pekko's own reference.conf, which sets
 * the same keys, and an application's configuration wins over Runnel's.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DispatcherSettingsTest {

  private static final int CORES = Runtime.getRuntime().availableProcessors();

  @Test
  void when_aNodeStarts_then_itsDispatchersHaveRunnelsSizesNotPekkos() throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "dispatchers",
        RunnelConfig.load(Map.of("pekko.actor.provider", "local"), ConfigFactory.empty()));
    try {
      assertEquals(Math.max(4, CORES), parallelism(system.executionContext()), "default dispatcher");
      assertEquals(Math.max(2, CORES),
          parallelism(system.dispatchers().lookup(DispatcherSelector.fromConfig("pekko.actor.internal-dispatcher"))),
          "internal dispatcher");
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void when_aNodeStarts_then_tcpConnectionsAndShardingRunOnTheDefaultDispatcher() {
    Config config = RunnelConfig.load(Map.of(), ConfigFactory.empty());
    assertEquals("pekko.actor.default-dispatcher", config.getString("pekko.io.tcp.worker-dispatcher"));
    assertEquals("pekko.actor.default-dispatcher", config.getString("pekko.cluster.sharding.use-dispatcher"));
  }

  @Test
  void when_theApplicationSizesADispatcher_then_itsSizeWins() {
    Config config = RunnelConfig.load(Map.of(), ConfigFactory.parseString(
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min = 6"));
    assertEquals(6, config.getInt("pekko.actor.default-dispatcher.fork-join-executor.parallelism-min"));
  }

  /** The parallelism of the fork-join pool behind {@code executor}, read on one of its own threads. */
  private static int parallelism(Executor executor) throws Exception {
    CompletableFuture<Integer> parallelism = new CompletableFuture<>();
    executor.execute(() -> {
      ForkJoinPool pool = ForkJoinTask.getPool();
      if (pool == null) {
        parallelism.completeExceptionally(new AssertionError("not a fork-join thread: " + Thread.currentThread()));
      } else {
        parallelism.complete(pool.getParallelism());
      }
    });
    return parallelism.get(10, TimeUnit.SECONDS);
  }
}
