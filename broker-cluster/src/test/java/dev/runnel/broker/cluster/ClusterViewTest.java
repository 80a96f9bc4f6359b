package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.partition.PartitionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ClusterViewTest {

  private static final List<Address> ADDRESSES = List.of(
      new Address("pekko", "runnel", "127.0.0.1", 25520),
      new Address("pekko", "runnel", "127.0.0.1", 25521),
      new Address("pekko", "runnel", "127.0.0.1", 25522));

  private static List<ClusterMember> members(Address unreachable) {
    List<ClusterMember> members = new ArrayList<>();
    for (Address address : ADDRESSES) {
      members.add(new ClusterMember(address, "Up", Set.of(), !address.equals(unreachable), Optional.empty()));
    }
    return members;
  }

  @Test
  void when_memberIsUnreachable_then_exactlyThePartitionsPlacedOnItAreOnAnUnreachableMember() {
    Address dead = ADDRESSES.get(1);
    int onDead = 0;
    for (int p = 0; p < 12; p++) {
      PartitionId partition = new PartitionId("orders", "id", p);
      boolean placedOnDead = dead.equals(Placement.owner(PartitionShards.ENTITY_TYPE, partition.entityId(), ADDRESSES));
      assertEquals(placedOnDead, ClusterView.onUnreachableMember(members(dead), partition), "partition " + p);
      onDead += placedOnDead ? 1 : 0;
    }
    assertEquals(4, onDead);
  }

  @Test
  void when_everyMemberIsReachable_or_theDeadOneIsRemoved_then_noPartitionIsOnAnUnreachableMember() {
    List<ClusterMember> removed = new ArrayList<>(members(null));
    removed.remove(1);
    for (int p = 0; p < 12; p++) {
      PartitionId partition = new PartitionId("orders", "id", p);
      assertFalse(ClusterView.onUnreachableMember(members(null), partition));
      assertFalse(ClusterView.onUnreachableMember(removed, partition));
    }
    assertTrue(ClusterView.onUnreachableMember(members(ADDRESSES.get(0)), firstOn(ADDRESSES.get(0))));
  }

  private static PartitionId firstOn(Address member) {
    for (int p = 0; ; p++) {
      PartitionId partition = new PartitionId("orders", "id", p);
      if (member.equals(Placement.owner(PartitionShards.ENTITY_TYPE, partition.entityId(), ADDRESSES))) {
        return partition;
      }
    }
  }
}
