package dev.runnel.broker.cluster;

import dev.runnel.broker.partition.PartitionId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.common.utils.Utils;
import org.apache.pekko.actor.Address;

/**
 * Where shards live, as a pure function of the shard and the cluster's members, so every node knows each
 * partition's leader and each group's coordinator without asking anyone, and the shard coordinator
 * ({@link PlacementStrategy}) puts the shards exactly there.
 *
 * <p>A partition is its own shard (its entity id, {@link PartitionShards}). The partitions of one topic are dealt
 * round robin over the members in an order of the topic's own (members sorted by a hash of topic id and
 * address), so a topic of P partitions on N nodes puts P/N (rounded) on each node, and different topics start on
 * different nodes. Any other shard (a group coordinator's, of Pekko's hashed shards) goes to its highest random
 * weight member (rendezvous hashing), which moves only the shards of a member that comes or goes.
 *
 * <p>Members are identified by address (host and port), so a node restarted on its old address gets its old
 * partitions back. Stateless and thread-safe.
 */
public final class Placement {

  private Placement() {}

  /** The member that hosts this shard of this entity type, or null when there are no members. */
  public static Address owner(String entityType, String shardId, Collection<Address> members) {
    if (members.isEmpty()) {
      return null;
    }
    if (entityType.equals(PartitionShards.ENTITY_TYPE)) {
      PartitionId partition = PartitionId.fromEntityId(shardId);
      return partitionLeader(partition.topicId(), partition.partition(), members);
    }
    return rendezvous(entityType + "|" + shardId, members);
  }

  /** Partition {@code partition} of the topic with this id: the topic's member order, round robin. */
  static Address partitionLeader(String topicId, int partition, Collection<Address> members) {
    List<Address> order = new ArrayList<>(members);
    order.sort(Comparator.comparingInt((Address member) -> hash(topicId + "|" + member))
        .thenComparing(Address::toString));
    return order.get(partition % order.size());
  }

  /** The member of highest weight for {@code key}; ties (a hash collision) go to the smaller address. */
  static Address rendezvous(String key, Collection<Address> members) {
    Address best = null;
    int bestWeight = 0;
    for (Address member : members) {
      int weight = hash(key + "|" + member);
      if (best == null || weight > bestWeight
          || (weight == bestWeight && member.toString().compareTo(best.toString()) < 0)) {
        best = member;
        bestWeight = weight;
      }
    }
    return best;
  }

  private static int hash(String text) {
    return Utils.murmur2(text.getBytes(StandardCharsets.UTF_8));
  }
}
