package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.partition.PartitionId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(10)
class PlacementTest {

  private static List<Address> members(int count) {
    List<Address> members = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      members.add(new Address("pekko", "runnel", "127.0.0.1", 25520 + i));
    }
    return members;
  }

  private static Map<Address, Integer> partitionsPerMember(String topicId, int partitions, List<Address> members) {
    Map<Address, Integer> counts = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      String shard = new PartitionId("orders", topicId, p).entityId();
      counts.merge(Placement.owner(PartitionShards.ENTITY_TYPE, shard, members), 1, Integer::sum);
    }
    return counts;
  }

  @ParameterizedTest
  @CsvSource({"12, 3", "12, 4", "7, 3", "3, 5", "100, 7"})
  void when_topicIsPlaced_then_everyMemberLeadsItsShareRoundedAndNoMore(int partitions, int memberCount) {
    for (String topicId : List.of("m9mnrN7wREG8LXHrszPa0Q", "CdTOcUFsSuG7tjTCFQv0mw", "AAAAAAAAAAAAAAAAAAAAAA")) {
      Map<Address, Integer> counts = partitionsPerMember(topicId, partitions, members(memberCount));
      int floor = partitions / memberCount;
      int ceiling = (partitions + memberCount - 1) / memberCount;
      for (int count : counts.values()) {
        assertTrue(count == floor || count == ceiling, "partitions per member " + counts + " for " + topicId);
      }
      assertEquals(Math.min(partitions, memberCount), counts.size(), "members leading partitions of " + topicId);
    }
  }

  @Test
  void when_membersAreListedInAnotherOrder_then_everyShardHasTheSameOwner() {
    List<Address> members = members(5);
    List<Address> shuffled = new ArrayList<>(members);
    Collections.shuffle(shuffled, new java.util.Random(7));
    for (int p = 0; p < 20; p++) {
      String shard = new PartitionId("t", "topic-id", p).entityId();
      assertEquals(Placement.owner(PartitionShards.ENTITY_TYPE, shard, members),
          Placement.owner(PartitionShards.ENTITY_TYPE, shard, shuffled), "owner of " + shard);
      assertEquals(Placement.owner("group", Integer.toString(p), members),
          Placement.owner("group", Integer.toString(p), shuffled), "owner of group shard " + p);
    }
  }

  @Test
  void when_memberOfThreeDies_then_mostOfTheSurvivorsPartitionsStayWhereTheyWere() {
    List<Address> members = members(3);
    int survivorsPartitions = 0;
    int survivorsMoved = 0;
    for (int topic = 0; topic < 200; topic++) {
      String topicId = "topic-" + topic;
      Address dead = members.get(topic % 3);
      List<Address> rest = new ArrayList<>(members);
      rest.remove(dead);
      for (int p = 0; p < 12; p++) {
        String shard = new PartitionId("orders", topicId, p).entityId();
        Address before = Placement.owner(PartitionShards.ENTITY_TYPE, shard, members);
        Address after = Placement.owner(PartitionShards.ENTITY_TYPE, shard, rest);
        assertTrue(rest.contains(after));
        if (!before.equals(dead)) {
          survivorsPartitions++;
          survivorsMoved += before.equals(after) ? 0 : 1;
        }
      }
    }
    // Plain round robin over the topic's member order moves about half of them.
    assertTrue(survivorsMoved < survivorsPartitions * 0.35,
        survivorsMoved + " of the survivors' " + survivorsPartitions + " partitions moved");
  }

  @Test
  void when_memberLeaves_then_onlyTheGroupShardsItOwnedMove() {
    List<Address> members = members(4);
    Address leaving = members.get(2);
    List<Address> rest = new ArrayList<>(members);
    rest.remove(leaving);
    int moved = 0;
    for (int shard = 0; shard < 1000; shard++) {
      Address before = Placement.owner("group", Integer.toString(shard), members);
      Address after = Placement.owner("group", Integer.toString(shard), rest);
      if (!before.equals(leaving)) {
        assertEquals(before, after, "group shard " + shard + " stays where it was");
      } else {
        moved++;
      }
    }
    assertTrue(moved > 150 && moved < 350, moved + " of 1000 group shards were on the leaving member");
  }

  @Test
  void when_thereAreNoMembers_then_noOwner() {
    assertNull(Placement.owner(PartitionShards.ENTITY_TYPE, new PartitionId("t", "id", 0).entityId(), List.of()));
    assertNull(Placement.owner("group", "1", List.of()));
  }
}
