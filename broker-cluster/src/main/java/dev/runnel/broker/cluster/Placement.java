package dev.runnel.broker.cluster;

import dev.runnel.broker.partition.PartitionId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Utils;
import org.apache.pekko.actor.Address;

/**
 * Where shards live, as a pure function of the shard and the cluster's members, so every node knows each
 * partition's leader and each group's coordinator without asking anyone, and the shard coordinator
 * ({@link PlacementStrategy}) puts the shards exactly there.
 *
 * <p>A partition is its own shard (its entity id, {@link PartitionShards}). The partitions of one topic are dealt
 * in order, each to the member it weighs highest (rendezvous hashing of topic id, partition and address) among
 * those that lead fewer than their share of the partitions dealt so far, so a topic of P partitions on N nodes
 * puts P/N (rounded) on each node. Because a partition keeps its first choice unless that member is full, a member
 * that dies moves its own partitions and only some others (about a quarter of the survivors' on 3 nodes, against
 * half for plain round robin): every partition that moves between live nodes is a shard hand-off, which drops the
 * requests it catches. Any other shard (a group coordinator's, of Pekko's hashed shards) goes to its highest random
 * weight member (rendezvous hashing), which moves only the shards of a member that comes or goes.
 *
 * <p>Members are identified by address (host and port), so a node restarted on its old address gets its old
 * partitions back. Thread-safe.
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

  /** Partition {@code partition} of the topic with this id: see the class comment. */
  static Address partitionLeader(String topicId, int partition, Collection<Address> members) {
    List<Address> sorted = new ArrayList<>(members);
    sorted.sort(Comparator.comparing(Address::toString));
    return sorted.get(ASSIGNMENTS.leader(topicId, sorted, partition));
  }

  /**
   * The deal of each topic's partitions over a member list, as indexes into the list, extended as far as asked.
   * Leaders are asked per request, so the deal is computed once per topic and member list (a bounded number of
   * them are kept: topics times the member lists seen lately).
   */
  private static final class Assignments {
    private static final int MAX_DEALS = 4096;

    private record Key(String topicId, List<Address> members) {}

    private final Map<Key, Deal> deals = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, Deal> eldest) {
        return size() > MAX_DEALS;
      }
    };

    synchronized int leader(String topicId, List<Address> members, int partition) {
      return deals.computeIfAbsent(new Key(topicId, members), key -> new Deal(key.topicId(), key.members()))
          .leader(partition);
    }
  }

  private static final Assignments ASSIGNMENTS = new Assignments();

  /** One topic's partitions dealt over one member list, partition by partition (see the class comment). */
  private static final class Deal {
    private final String topicId;
    private final List<Address> members;
    private final int[] load;
    private int[] leaders = new int[16];
    private int dealt;

    Deal(String topicId, List<Address> members) {
      this.topicId = topicId;
      this.members = members;
      this.load = new int[members.size()];
    }

    int leader(int partition) {
      while (dealt <= partition) {
        if (dealt == leaders.length) {
          leaders = Arrays.copyOf(leaders, leaders.length * 2);
        }
        leaders[dealt] = next(dealt);
        dealt++;
      }
      return leaders[partition];
    }

    private int next(int partition) {
      int share = (partition + members.size()) / members.size();
      int best = -1;
      int bestWeight = 0;
      for (int m = 0; m < members.size(); m++) {
        if (load[m] < share) {
          int weight = hash(topicId + "|" + partition + "|" + members.get(m));
          if (best == -1 || Integer.compareUnsigned(weight, bestWeight) > 0) {
            best = m;
            bestWeight = weight;
          }
        }
      }
      load[best]++;
      return best;
    }
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
