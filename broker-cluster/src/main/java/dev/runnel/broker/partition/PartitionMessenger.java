package dev.runnel.broker.partition;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Delivers the commands that nobody waits for, a deleted topic's {@link Partition.Delete} and the idle sweep's
 * {@link Partition.Wake}, to partitions wherever they are hosted, until each partition acknowledges; and the
 * transaction coordinators' {@link Partition.WriteTxnMarker}s, whose sender hears once every partition of the
 * transaction has acknowledged its marker. A partition on
 * another node, or one moving between nodes, may miss a message; a deleted topic's log must still go, and a
 * passivated partition must still get its retention check. Each delivery is an ask with the partition request
 * timeout, retried with exponential backoff (up to {@link #MAX_BACKOFF}) as long as the node runs; at most
 * {@link #MAX_IN_FLIGHT} asks are out at once, the rest wait their turn, and a delivery already under way is not
 * queued twice. Delete, Wake and a marker are idempotent, so a retry after a lost acknowledgement is harmless. A
 * partition that answers a marker with a retriable error is asked again, except a deleted one, whose marker is
 * dropped; one that refuses it for good (its producer has moved to a later epoch there, or a later coordinator
 * epoch has written its last marker there) counts as acknowledged, with a warning.
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
    WAKE,
    TXN_MARKER
  }

  /** Local only: the registry's listener and the sweeper on this node send these. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Delivers {@code kind} to every one of {@code partitions}. */
  public record Deliver(Kind kind, List<PartitionId> partitions) implements Command {
    public Deliver {
      partitions = List.copyOf(partitions);
    }
  }

  /**
   * Writes one transaction's COMMIT or ABORT markers to every one of {@code partitions}; {@code replyTo} hears
   * {@code Done} once each has acknowledged (at once if there are none).
   */
  public record WriteTxnMarkers(List<PartitionId> partitions, long producerId, short producerEpoch,
      int coordinatorEpoch, boolean commit, ActorRef<Done> replyTo) implements Command {
    public WriteTxnMarkers {
      partitions = List.copyOf(partitions);
    }
  }

  /** One message to one partition; {@code markers} is the transaction of a {@link Kind#TXN_MARKER}, else null. */
  private record Delivery(Kind kind, PartitionId partition, WriteTxnMarkers markers) {}

  private record Acknowledged(Delivery delivery) implements Command {}

  private record NotAcknowledged(Delivery delivery, int attempt, Throwable cause) implements Command {}

  private record Retry(Delivery delivery, int attempt) implements Command {}

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Set<Delivery> underWay = new HashSet<>();
  private final Queue<Retry> waiting = new ArrayDeque<>();
  /** The partitions of each transaction whose marker is not acknowledged yet. */
  private final Map<WriteTxnMarkers, Set<PartitionId>> markersDue = new HashMap<>();
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
            Delivery delivery = new Delivery(deliver.kind(), partition, null);
            if (underWay.add(delivery)) {
              send(new Retry(delivery, 0));
            }
          }
          return Behaviors.same();
        })
        .onMessage(WriteTxnMarkers.class, markers -> {
          Set<PartitionId> due = new HashSet<>(markers.partitions());
          if (due.isEmpty()) {
            markers.replyTo().tell(Done.getInstance());
            return Behaviors.same();
          }
          markersDue.put(markers, due);
          for (PartitionId partition : due) {
            Delivery delivery = new Delivery(Kind.TXN_MARKER, partition, markers);
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
          markerAcknowledged(acknowledged.delivery());
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
    var partition = sharding.entityRefFor(Partition.ENTITY_KEY, delivery.partition().entityId());
    if (delivery.kind() == Kind.TXN_MARKER) {
      WriteTxnMarkers markers = delivery.markers();
      context.ask(TxnMarkerResult.class, partition, timeout,
          replyTo -> new Partition.WriteTxnMarker(markers.producerId(), markers.producerEpoch(),
              markers.coordinatorEpoch(), markers.commit(), replyTo),
          (result, failure) -> {
            if (failure != null) {
              return new NotAcknowledged(delivery, retry.attempt(), failure);
            }
            if (result.error() == Errors.UNKNOWN_TOPIC_OR_PARTITION) {
              // Only a deleted partition answers so, and for good: its entity id carries the topic id, so a topic
              // created again under the name is another entity. Its log is gone, and with it the transaction's
              // batches there, so there is nothing to mark; retrying would keep the transaction in Prepare*.
              context.getLog().info("Partition {} was deleted; its {} marker of producer {} epoch {} is dropped",
                  delivery.partition(), markers.commit() ? "COMMIT" : "ABORT", markers.producerId(),
                  markers.producerEpoch());
              return new Acknowledged(delivery);
            }
            if (result.error().exception() instanceof RetriableException retriable) {
              return new NotAcknowledged(delivery, retry.attempt(), retriable);
            }
            if (result.error() != Errors.NONE) {
              context.getLog().warn("Partition {} refused the {} marker of producer {} epoch {}: {}",
                  delivery.partition(), markers.commit() ? "COMMIT" : "ABORT", markers.producerId(),
                  markers.producerEpoch(), result.error());
            }
            return new Acknowledged(delivery);
          });
      return;
    }
    context.ask(Done.class, partition, timeout,
        replyTo -> delivery.kind() == Kind.DELETE ? new Partition.Delete(replyTo) : new Partition.Wake(replyTo),
        (done, failure) -> failure == null
            ? new Acknowledged(delivery)
            : new NotAcknowledged(delivery, retry.attempt(), failure));
  }

  private void markerAcknowledged(Delivery delivery) {
    if (delivery.markers() == null) {
      return;
    }
    Set<PartitionId> due = markersDue.get(delivery.markers());
    if (due != null && due.remove(delivery.partition()) && due.isEmpty()) {
      markersDue.remove(delivery.markers());
      delivery.markers().replyTo().tell(Done.getInstance());
    }
  }

  private void sendNextWaiting() {
    inFlight--;
    Retry next = waiting.poll();
    if (next != null) {
      send(next);
    }
  }
}
