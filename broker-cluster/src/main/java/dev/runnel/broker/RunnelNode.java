package dev.runnel.broker;

import com.typesafe.config.Config;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.transaction.Transactions;
import dev.runnel.persistence.JournalProfile;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A running Runnel node: its actor system, its {@link Broker} and where its servers listen. {@link Main} runs one
 * in the foreground; tests run them in-process on free ports.
 */
public final class RunnelNode implements AutoCloseable {

  private final ActorSystem<Void> system;
  private final Guardian.Bound bound;

  private RunnelNode(ActorSystem<Void> system, Guardian.Bound bound) {
    this.system = system;
    this.bound = bound;
  }

  /**
   * Starts a node with this configuration (the application's, fully loaded) and waits until its servers listen.
   * Creates the journal schema first if it is missing.
   */
  public static RunnelNode start(Config config, Duration timeout) {
    return start(config, timeout, NodeEnvironment.system());
  }

  /** Starts a node as {@link #start(Config, Duration)} does, with this clock and cleaner executor. */
  public static RunnelNode start(Config config, Duration timeout, NodeEnvironment environment) {
    Config resolved = JournalProfile.apply(config);
    JournalProfile.createSchemaIfMissing(resolved);
    CompletableFuture<Guardian.Bound> bound = new CompletableFuture<>();
    ActorSystem<Void> system = ActorSystem.create(Guardian.create(bound, environment), "runnel", resolved);
    try {
      return new RunnelNode(system, bound.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      system.terminate();
      throw new IllegalStateException("interrupted while starting", e);
    } catch (TimeoutException e) {
      system.terminate();
      throw new IllegalStateException("node did not start within " + timeout
          + " (runnel.start-timeout): its servers were not bound and its cluster not joined by then", e);
    } catch (ExecutionException e) {
      system.terminate();
      throw new IllegalStateException("node did not start: " + Broker.unwrap(e).getMessage(), Broker.unwrap(e));
    }
  }

  /**
   * Makes the JDK's common pool a real pool. Pekko's asks complete Scala-converted {@code CompletionStage}s whose
   * dependent stages always run on the default async executor, and when the common pool's parallelism is 1 (a
   * 2-core machine) the JDK makes that executor a new thread per task: thousands of threads a second under load.
   * Call first thing in {@code main}, before anything uses the common pool; an explicit
   * {@code -Djava.util.concurrent.ForkJoinPool.common.parallelism} wins.
   */
  public static void ensureCommonPoolThreads() {
    String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(key) == null) {
      System.setProperty(key, Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Broker broker() {
    return bound.broker();
  }

  public Groups groups() {
    return bound.groups();
  }

  public Transactions transactions() {
    return bound.transactions();
  }

  public InetSocketAddress httpAddress() {
    return bound.http();
  }

  public int httpPort() {
    return bound.http().getPort();
  }

  /** Where Pekko Management's HTTP endpoint (health checks, bootstrap contact point) listens, when it runs. */
  public Optional<InetSocketAddress> managementAddress() {
    return bound.management();
  }

  /** Where the schema registry listens, unless {@code runnel.broker.schema-registry.enabled} is off. */
  public Optional<InetSocketAddress> schemaRegistryAddress() {
    return bound.schemaRegistry();
  }

  public InetSocketAddress kafkaAddress() {
    return bound.kafka();
  }

  public int kafkaPort() {
    return bound.kafka().getPort();
  }

  /** Stops the node through Pekko's coordinated shutdown and waits for it. */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("node did not stop in time", e);
    }
  }
}
