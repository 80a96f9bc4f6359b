package dev.runnel.broker.group;

import java.util.List;

/**
 * What one step of {@link GroupMachine} decided: the group's next value, the events to persist, the reply to the
 * request (null when it must wait: then it is parked under {@code parkedMemberId} and answered by a later
 * delivery), and the answers to parked JoinGroup and SyncGroup requests. Replies and deliveries go out only after
 * the events are stored.
 */
public record Outcome<R>(
    Group group,
    List<GroupEvent> events,
    R reply,
    String parkedMemberId,
    List<JoinDelivery> joins,
    List<SyncDelivery> syncs) {

  public Outcome {
    events = List.copyOf(events);
    joins = List.copyOf(joins);
    syncs = List.copyOf(syncs);
  }

  /** The answer to the JoinGroup parked for {@code memberId}. */
  public record JoinDelivery(String memberId, JoinResult result) {}

  /** The answer to the SyncGroup parked for {@code memberId}. */
  public record SyncDelivery(String memberId, SyncResult result) {}
}
