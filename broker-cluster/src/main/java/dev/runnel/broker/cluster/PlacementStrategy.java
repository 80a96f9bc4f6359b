package dev.runnel.broker.cluster;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * The shard coordinator's allocation strategy: a shard goes to the region of the member {@link Placement} names
 * among the live members ({@link ClusterView#liveMembers()}, the same members every node names leaders from), and
 * a rebalance moves every shard that is elsewhere (after a node joined or left).
 *
 * <p>Two rules keep failover from dropping requests. A shard whose owner's region has not registered with the
 * coordinator yet (the coordinator just moved, or the node just started) is not allocated anywhere else meanwhile:
 * the allocation is declined (answered with a region the coordinator does not know, which it ignores) and the
 * requesting region asks again after its retry interval, its messages buffered. Placing it on another region and
 * moving it later would hand it off, and a hand-off drops the messages buffered for it. And a rebalance waits
 * until every member is Up and reachable, membership has settled ({@link #SETTLE}), and no removed member's region
 * is still registered: a hand-off needs the acknowledgement of every registered region, and a dead one never gives
 * it (the coordinator frees a dead region's shards itself once it sees the region terminate, after the removal
 * margin).
 *
 * <p>Used only inside the shard coordinator's actor, one call at a time.
 */
public final class PlacementStrategy extends ShardCoordinator.AbstractShardAllocationStrategy {

  /**
   * How long membership must have stayed the same before shards move to where placement puts them. Right after a
   * death or a join, regions still buffer requests for shards that are being allocated; a hand-off begun then drops
   * them (their senders wait out the request timeout). A little later every region knows every home and a hand-off
   * drops nothing. Two rebalance ticks.
   */
  private static final Duration SETTLE = Duration.ofSeconds(4);

  private final String entityType;
  private final Address self;
  private final ClusterView cluster;
  private final ActorRef declined;

  /**
   * @param entityType the sharded entity type's name
   * @param self this node's address: the coordinator's own region has a local actor path without host and port
   * @param cluster the live members to place shards on
   * @param declined an actor that is no shard region (dead letters): the answer that declines an allocation
   */
  public PlacementStrategy(String entityType, Address self, ClusterView cluster, ActorRef declined) {
    this.entityType = entityType;
    this.self = self;
    this.cluster = cluster;
    this.declined = declined;
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> currentShardAllocations) {
    Map<Address, ActorRef> regions = regionsByAddress(currentShardAllocations);
    List<Address> live = cluster.liveMembers();
    if (live.isEmpty()) {
      // Before this node sees itself Up (a one-node cluster forming): the regions registered so far.
      Address owner = Placement.owner(entityType, shardId, regions.keySet());
      return Future.successful(owner == null ? requester : regions.get(owner));
    }
    ActorRef owner = regions.get(Placement.owner(entityType, shardId, live));
    return Future.successful(owner == null ? declined : owner);
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> currentShardAllocations, Set<String> rebalanceInProgress) {
    Set<String> misplaced = new HashSet<>();
    if (currentShardAllocations.size() <= 1 || !cluster.stableFor(SETTLE)) {
      // With one region every shard is where it can be (a shard only moves to a registered region): a one-node
      // broker of 10,000 partitions would otherwise place every one of them again each rebalance-interval.
      return Future.successful(misplaced);
    }
    Map<Address, ActorRef> regions = regionsByAddress(currentShardAllocations);
    List<Address> live = cluster.liveMembers();
    if (!live.containsAll(regions.keySet())) {
      // A removed member's region, registered until the coordinator sees it terminate (after the removal margin).
      return Future.successful(misplaced);
    }
    for (Map.Entry<ActorRef, IndexedSeq<String>> region : currentShardAllocations.entrySet()) {
      Address at = address(region.getKey());
      scala.collection.Iterator<String> shards = region.getValue().iterator();
      while (shards.hasNext()) {
        String shard = shards.next();
        Address owner = Placement.owner(entityType, shard, live);
        if (!rebalanceInProgress.contains(shard) && !at.equals(owner) && regions.containsKey(owner)) {
          misplaced.add(shard);
        }
      }
    }
    return Future.successful(misplaced);
  }

  private Map<Address, ActorRef> regionsByAddress(Map<ActorRef, IndexedSeq<String>> allocations) {
    Map<Address, ActorRef> regions = new HashMap<>();
    for (ActorRef region : allocations.keySet()) {
      regions.put(address(region), region);
    }
    return regions;
  }

  private Address address(ActorRef region) {
    Address address = region.path().address();
    return address.hasGlobalScope() ? address : self;
  }
}
