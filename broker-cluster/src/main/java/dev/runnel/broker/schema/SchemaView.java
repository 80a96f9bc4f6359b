package dev.runnel.broker.schema;

import dev.runnel.broker.partition.PartitionId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's copy of the registry: it tails {@code _schemas} from offset 0 (long-polling fetches at the log end),
 * applies every change to a private {@link RegistryState} and publishes a copy after each read, so reads are local
 * and lock-free and every node serves the same registry once it has read as far. A node that has just written waits
 * with {@link #readUpTo} until its view holds the write, so a client reads its own writes on the node it wrote
 * through. Until this node knows the topic (the writer creates it with the first change) it looks again every retry
 * interval.
 *
 * <p>Thread-safe: one read is in flight at a time (each starts when the previous one has been applied); the
 * published state is never changed after publication.
 */
public final class SchemaView {

  private static final Logger log = LoggerFactory.getLogger(SchemaView.class);

  private record Waiter(long offset, CompletableFuture<RegistryState> done) {}

  private final ActorSystem<?> system;
  private final SchemaLog schemaLog;
  private final SchemaRegistrySettings settings;
  private final RegistryState applied = new RegistryState();
  private final List<Waiter> waiters = new ArrayList<>();
  private volatile RegistryState published = new RegistryState();
  private long nextOffset;
  private volatile boolean stopped;

  SchemaView(ActorSystem<?> system, SchemaLog schemaLog, SchemaRegistrySettings settings) {
    this.system = system;
    this.schemaLog = schemaLog;
    this.settings = settings;
  }

  void start() {
    system.getWhenTerminated().thenRun(() -> stopped = true);
    findTopic();
  }

  /** The registry as this node has read it so far. */
  RegistryState state() {
    return published;
  }

  /**
   * The registry once this node has read {@code _schemas} up to {@code offset}; failed with 50002 if that takes
   * longer than the request timeout.
   */
  CompletionStage<RegistryState> readUpTo(long offset) {
    CompletableFuture<RegistryState> done = new CompletableFuture<>();
    synchronized (waiters) {
      if (nextOffset >= offset) {
        return CompletableFuture.completedFuture(published);
      }
      waiters.add(new Waiter(offset, done));
    }
    return done.orTimeout(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS).exceptionallyCompose(failure ->
        CompletableFuture.failedFuture(new RegistryException(RegistryError.of(RegistryError.OPERATION_TIMEOUT,
            "This node has not read the change from " + schemaLog.topic() + " within "
                + settings.requestTimeout()))));
  }

  private void findTopic() {
    if (stopped) {
      return;
    }
    // Local: topics are replicated to every node, so looking costs nothing and asks no one.
    schemaLog.known().ifPresentOrElse(this::tail, () -> later(this::findTopic));
  }

  private void tail(PartitionId partition) {
    if (stopped) {
      return;
    }
    long from;
    synchronized (waiters) {
      from = nextOffset;
    }
    schemaLog.read(partition, from, settings.tailWait()).whenComplete((chunk, failure) -> {
      if (failure != null) {
        if (!stopped) {
          log.warn("Schema view: reading {} at offset {} failed, retrying in {}: {}", schemaLog.topic(), from,
              settings.retryInterval(), failure.toString());
        }
        later(() -> tail(partition));
        return;
      }
      publish(chunk);
      tail(partition);
    });
  }

  private void publish(SchemaLog.Chunk chunk) {
    List<Waiter> ready = new ArrayList<>();
    RegistryState state;
    synchronized (waiters) {
      chunk.changes().forEach(applied::apply);
      nextOffset = Math.max(nextOffset, chunk.nextOffset());
      if (!chunk.changes().isEmpty()) {
        published = applied.copy();
      }
      state = published;
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        if (waiter.offset() <= nextOffset) {
          ready.add(waiter);
          it.remove();
        }
      }
    }
    ready.forEach(waiter -> waiter.done().complete(state));
  }

  private void later(Runnable action) {
    if (stopped) {
      return;
    }
    try {
      system.scheduler().scheduleOnce(settings.retryInterval(), action, system.executionContext());
    } catch (IllegalStateException shuttingDown) {
      stopped = true;
    }
  }
}
