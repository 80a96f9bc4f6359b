package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.partition.PartitionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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

  @Test
  void when_aMemberBecomesUnreachable_or_anUnreachableOneIsRemoved_then_aMemberIsLost() {
    List<ClusterMember> removed = new ArrayList<>(members(ADDRESSES.get(1)));
    removed.remove(1);
    List<ClusterMember> joined = new ArrayList<>(members(null));
    joined.add(new ClusterMember(new Address("pekko", "runnel", "127.0.0.1", 25523), "Joining", Set.of(), true,
        Optional.empty()));

    assertTrue(ClusterView.memberLost(members(null), members(ADDRESSES.get(1))));
    assertTrue(ClusterView.memberLost(members(ADDRESSES.get(1)), removed));
    assertFalse(ClusterView.memberLost(members(null), members(null)));
    assertFalse(ClusterView.memberLost(members(ADDRESSES.get(1)), members(null)), "reachable again");
    assertFalse(ClusterView.memberLost(members(null), joined));
    assertFalse(ClusterView.memberLost(List.of(), members(null)));
  }

  @Test
  void when_aMemberIsLost_then_unansweredCrossNodeRequestsAreAnsweredAtOnce_and_answeredOnesKeepTheirAnswer() {
    ClusterView view = new ClusterView(ADDRESSES.get(0), 10);
    view.update(new ClusterView.Snapshot(ADDRESSES.get(0), members(null), Optional.of(ADDRESSES.get(0))));
    CompletableFuture<String> unanswered = new CompletableFuture<>();
    CompletableFuture<String> answered = new CompletableFuture<>();
    CompletableFuture<String> first = view.unlessMemberLost(unanswered, () -> "lost").toCompletableFuture();
    CompletableFuture<String> second = view.unlessMemberLost(answered, () -> "lost").toCompletableFuture();
    answered.complete("stored");

    view.update(new ClusterView.Snapshot(ADDRESSES.get(0), members(null), Optional.of(ADDRESSES.get(0))));
    assertFalse(first.isDone(), "no member lost yet");

    view.update(new ClusterView.Snapshot(ADDRESSES.get(0), members(ADDRESSES.get(2)), Optional.of(ADDRESSES.get(0))));
    assertEquals("lost", first.getNow(null));
    assertEquals("stored", second.getNow(null));

    CompletableFuture<String> afterwards = view.unlessMemberLost(new CompletableFuture<String>(), () -> "lost")
        .toCompletableFuture();
    List<ClusterMember> removed = new ArrayList<>(members(ADDRESSES.get(2)));
    removed.remove(2);
    view.update(new ClusterView.Snapshot(ADDRESSES.get(0), removed, Optional.of(ADDRESSES.get(0))));
    assertEquals("lost", afterwards.getNow(null), "sent between unreachable and removed: to the dead region");
    unanswered.complete("late answer");
    assertEquals("lost", first.getNow(null));
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
