package dev.runnel.broker.cluster;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * The shard coordinator's allocation strategy: a shard goes to the region of the member {@link Placement} names
 * among the regions the coordinator knows, and a rebalance moves every shard that is elsewhere (after a node
 * joins, or when a shard was placed on its requester while the coordinator knew fewer regions). Because the
 * placement is a function of the members, every node computes the same leaders without asking.
 *
 * <p>Used only inside the shard coordinator's actor, one call at a time.
 */
public final class PlacementStrategy extends ShardCoordinator.AbstractShardAllocationStrategy {

  private final String entityType;
  private final Address self;

  /**
   * @param entityType the sharded entity type's name
   * @param self this node's address: the coordinator's own region has a local actor path without host and port
   */
  public PlacementStrategy(String entityType, Address self) {
    this.entityType = entityType;
    this.self = self;
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> currentShardAllocations) {
    Map<Address, ActorRef> regions = regionsByAddress(currentShardAllocations);
    Address owner = Placement.owner(entityType, shardId, regions.keySet());
    return Future.successful(owner == null ? requester : regions.get(owner));
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> currentShardAllocations, Set<String> rebalanceInProgress) {
    Map<Address, ActorRef> regions = regionsByAddress(currentShardAllocations);
    Set<String> misplaced = new HashSet<>();
    for (Map.Entry<ActorRef, IndexedSeq<String>> region : currentShardAllocations.entrySet()) {
      Address at = address(region.getKey());
      scala.collection.Iterator<String> shards = region.getValue().iterator();
      while (shards.hasNext()) {
        String shard = shards.next();
        if (!rebalanceInProgress.contains(shard) && !at.equals(Placement.owner(entityType, shard, regions.keySet()))) {
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
