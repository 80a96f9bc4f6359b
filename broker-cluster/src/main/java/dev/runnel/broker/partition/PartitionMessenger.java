package dev.runnel.broker.partition;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Delivers the commands that nobody waits for, a deleted topic's {@link Partition.Delete} and the idle sweep's
 * {@link Partition.Wake}, to partitions wherever they are hosted, until each partition acknowledges. A partition on
 * another node, or one moving between nodes, may miss a message; a deleted topic's log must still go, and a
 * passivated partition must still get its retention check. Each delivery is an ask with the partition request
 * timeout, retried with exponential backoff (up to {@link #MAX_BACKOFF}) as long as the node runs; at most
 * {@link #MAX_IN_FLIGHT} asks are out at once, the rest wait their turn, and a delivery already under way is not
 * queued twice. Delete and Wake are idempotent, so a retry after a lost acknowledgement is harmless.
 *
 * <p>Runs on every node; the topic registry's listener and the sweeper, wherever their singletons run, use the
 * messenger of their node. What it has not delivered when its node stops is lost: the registry's next recovery
 * does not know of it (a deleted topic's partitions are not deleted again), a Wake comes with the next sweep.
 */
public final class PartitionMessenger {

  /** At most this many asks are out at once, so a sweep of many partitions does not flood the cluster. */
  static final int MAX_IN_FLIGHT = 100;
  static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** What to deliver. */
  public enum Kind {
    DELETE,
    WAKE
  }

  /** Local only: the registry's listener and the sweeper on this node send these. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Delivers {@code kind} to every one of {@code partitions}. */
  public record Deliver(Kind kind, List<PartitionId> partitions) implements Command {
    public Deliver {
      partitions = List.copyOf(partitions);
    }
  }

  private record Delivery(Kind kind, PartitionId partition) {}

  private record Acknowledged(Delivery delivery) implements Command {}

  private record NotAcknowledged(Delivery delivery, int attempt, Throwable cause) implements Command {}

  private record Retry(Delivery delivery, int attempt) implements Command {}

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Set<Delivery> underWay = new HashSet<>();
  private final Queue<Retry> waiting = new ArrayDeque<>();
  private int inFlight;

  private PartitionMessenger(
      ActorContext<Command> context, TimerScheduler<Command> timers, ClusterSharding sharding, Duration timeout) {
    this.context = context;
    this.timers = timers;
    this.sharding = sharding;
    this.timeout = timeout;
  }

  /**
   * @param timeout how long each attempt waits for the partition's acknowledgement (the partition request timeout)
   */
  public static Behavior<Command> create(ClusterSharding sharding, Duration timeout) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new PartitionMessenger(context, timers, sharding, timeout).behavior()));
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Deliver.class, deliver -> {
          for (PartitionId partition : deliver.partitions()) {
            Delivery delivery = new Delivery(deliver.kind(), partition);
            if (underWay.add(delivery)) {
              send(new Retry(delivery, 0));
            }
          }
          return Behaviors.same();
        })
        .onMessage(Retry.class, retry -> {
          send(retry);
          return Behaviors.same();
        })
        .onMessage(Acknowledged.class, acknowledged -> {
          underWay.remove(acknowledged.delivery());
          sendNextWaiting();
          return Behaviors.same();
        })
        .onMessage(NotAcknowledged.class, failed -> {
          int attempt = failed.attempt() + 1;
          Duration backoff = backoff(attempt);
          if (attempt == 1 || attempt % 10 == 0) {
            context.getLog().warn("Partition {} has not acknowledged {} (attempt {}: {}); retrying in {}",
                failed.delivery().partition(), failed.delivery().kind(), attempt, failed.cause().toString(),
                backoff);
          }
          timers.startSingleTimer(failed.delivery(), new Retry(failed.delivery(), attempt), backoff);
          sendNextWaiting();
          return Behaviors.same();
        })
        .build();
  }

  /** The wait before attempt {@code attempt + 1}: doubling from {@link #FIRST_BACKOFF}, at most MAX_BACKOFF. */
  static Duration backoff(int attempt) {
    Duration backoff = FIRST_BACKOFF.multipliedBy(1L << Math.min(attempt - 1, 20));
    return backoff.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff;
  }

  private void send(Retry retry) {
    if (inFlight >= MAX_IN_FLIGHT) {
      waiting.add(retry);
      return;
    }
    inFlight++;
    Delivery delivery = retry.delivery();
    context.ask(Done.class, sharding.entityRefFor(Partition.ENTITY_KEY, delivery.partition().entityId()), timeout,
        replyTo -> delivery.kind() == Kind.DELETE ? new Partition.Delete(replyTo) : new Partition.Wake(replyTo),
        (done, failure) -> failure == null
            ? new Acknowledged(delivery)
            : new NotAcknowledged(delivery, retry.attempt(), failure));
  }

  private void sendNextWaiting() {
    inFlight--;
    Retry next = waiting.poll();
    if (next != null) {
      send(next);
    }
  }
}
