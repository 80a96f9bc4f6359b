package dev.runnel.broker.partition;

import dev.runnel.broker.Broker;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.Topics;
import java.time.Duration;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

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

  public static Behavior<Sweep> create(Duration interval, Topics topics, ClusterSharding sharding) {
    return Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, interval);
      return Behaviors.receiveMessage(sweep -> {
        for (TopicMetadata topic : topics.all()) {
          for (PartitionId partition : Broker.partitions(topic)) {
            sharding.entityRefFor(Partition.ENTITY_KEY, partition.entityId()).tell(Partition.Wake.INSTANCE);
          }
        }
        return Behaviors.same();
      });
    });
  }
}
