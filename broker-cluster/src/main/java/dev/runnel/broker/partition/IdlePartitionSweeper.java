package dev.runnel.broker.partition;

import dev.runnel.broker.Broker;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.Topics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Wakes every partition once per interval. A partition passivated for being idle stops its retention and
 * compaction timers, so a topic nobody writes to or reads would otherwise keep its data for ever; woken, it
 * recovers and runs its checks (and is passivated again once idle). Runs as a cluster singleton, so each partition
 * is woken once per interval whatever the number of nodes.
 *
 * <p>The wake-ups are spread over the first half of the interval, in one slice a second ({@link #slices}): woken all
 * at once, 10,000 partitions would recover together, and hold their memory together until their idle timeout.
 */
public final class IdlePartitionSweeper {

  /** Local only: the sweeper's own timer messages. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Starts a sweep: every partition of every topic, as the topics are now. */
  private enum Sweep implements Command {
    INSTANCE
  }

  /** Wakes the next slice of the sweep under way. */
  private enum WakeSlice implements Command {
    INSTANCE
  }

  /** How far apart the slices of one sweep are, at least. */
  static final Duration SLICE_EVERY = Duration.ofSeconds(1);

  private IdlePartitionSweeper() {}

  /** @param messenger this node's, which delivers each Wake until the partition acknowledges it */
  public static Behavior<Command> create(
      Duration interval, Topics topics, ActorRef<PartitionMessenger.Command> messenger) {
    return Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, interval);
      Deque<List<PartitionId>> remaining = new ArrayDeque<>();
      return Behaviors.receive(Command.class)
          .onMessageEquals(Sweep.INSTANCE, () -> {
            List<PartitionId> all = new ArrayList<>();
            for (TopicMetadata topic : topics.all()) {
              all.addAll(Broker.partitions(topic));
            }
            List<List<PartitionId>> slices = slices(all, interval);
            remaining.clear();
            remaining.addAll(slices);
            timers.cancel(WakeSlice.INSTANCE);
            if (!remaining.isEmpty()) {
              timers.startTimerWithFixedDelay(WakeSlice.INSTANCE, Duration.ZERO, sliceDelay(interval, slices.size()));
            }
            return Behaviors.same();
          })
          .onMessageEquals(WakeSlice.INSTANCE, () -> {
            List<PartitionId> slice = remaining.poll();
            if (slice != null) {
              messenger.tell(new PartitionMessenger.Deliver(PartitionMessenger.Kind.WAKE, slice));
            }
            if (remaining.isEmpty()) {
              timers.cancel(WakeSlice.INSTANCE);
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  /**
   * The partitions of one sweep in slices, one per {@link #SLICE_EVERY} over the first half of {@code interval}
   * (a single slice when that half is shorter), in the order given; each partition in exactly one slice.
   */
  static List<List<PartitionId>> slices(List<PartitionId> all, Duration interval) {
    if (all.isEmpty()) {
      return List.of();
    }
    long count = Math.max(1, Math.min(all.size(), interval.dividedBy(2).toMillis() / SLICE_EVERY.toMillis()));
    int size = (int) ((all.size() + count - 1) / count);
    List<List<PartitionId>> slices = new ArrayList<>();
    for (int from = 0; from < all.size(); from += size) {
      slices.add(List.copyOf(all.subList(from, Math.min(all.size(), from + size))));
    }
    return slices;
  }

  /** The delay between two of {@code count} slices spread over the first half of {@code interval}. */
  static Duration sliceDelay(Duration interval, int count) {
    return count <= 1 ? interval : interval.dividedBy(2).dividedBy(count);
  }
}
