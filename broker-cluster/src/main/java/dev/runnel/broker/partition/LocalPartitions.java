package dev.runnel.broker.partition;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The partitions whose entity runs on this node right now, registered by the partition actor itself from its start
 * to its stop. A request to any other partition crosses nodes (sharding forwards it to the region hosting it), so
 * it is lost if that node dies: {@link dev.runnel.broker.Broker} watches only those for a member's loss.
 * Thread-safe.
 */
public final class LocalPartitions implements Extension {

  private static final ExtensionId<LocalPartitions> ID = new ExtensionId<>() {
    @Override
    public LocalPartitions createExtension(ActorSystem<?> system) {
      return new LocalPartitions();
    }
  };

  private final Set<PartitionId> running = ConcurrentHashMap.newKeySet();

  private LocalPartitions() {}

  public static LocalPartitions get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  void started(PartitionId partition) {
    running.add(partition);
  }

  void stopped(PartitionId partition) {
    running.remove(partition);
  }

  /** Whether this partition's entity runs on this node. */
  public boolean hosts(PartitionId partition) {
    return running.contains(partition);
  }
}
