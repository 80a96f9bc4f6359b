package dev.runnel.broker.partition;

import dev.runnel.broker.Broker;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.Topics;
import java.time.Duration;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Wakes every partition on an interval. A partition passivated for being idle stops its retention and compaction
 * timers, so a topic nobody writes to or reads would otherwise keep its data for ever; woken, it recovers and runs
 * its checks (and is passivated again once idle). Runs as a cluster singleton, so each partition is woken once per
 * interval whatever the number of nodes.
 */
public final class IdlePartitionSweeper {

  /** The periodic tick, a timer message that never leaves the singleton's node. */
  public enum Sweep implements NoSerializationVerificationNeeded {
    INSTANCE
  }

  private IdlePartitionSweeper() {}

  /** @param messenger this node's, which delivers each Wake until the partition acknowledges it */
  public static Behavior<Sweep> create(
      Duration interval, Topics topics, ActorRef<PartitionMessenger.Command> messenger) {
    return Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, interval);
      return Behaviors.receiveMessage(sweep -> {
        for (TopicMetadata topic : topics.all()) {
          messenger.tell(new PartitionMessenger.Deliver(PartitionMessenger.Kind.WAKE, Broker.partitions(topic)));
        }
        return Behaviors.same();
      });
    });
  }
}
