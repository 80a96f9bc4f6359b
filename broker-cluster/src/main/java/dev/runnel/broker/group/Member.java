package dev.runnel.broker.group;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A member of a group as the coordinator tracks it at runtime. Immutable.
 *
 * @param groupInstanceId {@code group.instance.id} of a static member (KIP-345), null for a dynamic one
 * @param protocols the protocols the member supports, in its order of preference
 * @param assignment the member's assignment in the current generation (empty before the first)
 * @param lastHeartbeat when the member last showed it is alive, in epoch milliseconds
 * @param awaitingJoin whether the member's JoinGroup waits for the rebalance to complete
 * @param awaitingSync whether the member's SyncGroup waits for the leader's assignment
 */
public record Member(
    String memberId,
    String groupInstanceId,
    String clientId,
    String clientHost,
    int rebalanceTimeoutMs,
    int sessionTimeoutMs,
    List<Protocol> protocols,
    byte[] assignment,
    long lastHeartbeat,
    boolean awaitingJoin,
    boolean awaitingSync) {

  public Member {
    Objects.requireNonNull(memberId, "memberId");
    protocols = List.copyOf(protocols);
    assignment = assignment == null ? new byte[0] : assignment;
  }

  static Member recovered(StoredMember stored, String protocolName, long now) {
    return new Member(stored.memberId(), stored.groupInstanceId(), stored.clientId(), stored.clientHost(),
        stored.rebalanceTimeoutMs(), stored.sessionTimeoutMs(),
        List.of(new Protocol(protocolName, stored.subscription())), stored.assignment(), now, false, false);
  }

  Optional<Protocol> protocol(String name) {
    return protocols.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** The metadata the member sent for {@code protocolName}, empty if it does not support it. */
  byte[] metadata(String protocolName) {
    return protocol(protocolName).map(Protocol::metadata).orElse(new byte[0]);
  }

  /** Whether the member's session has run out at {@code now}; a member waiting for a response is kept alive. */
  boolean expired(long now) {
    return !awaitingJoin && !awaitingSync && now >= lastHeartbeat + sessionTimeoutMs;
  }

  Member heartbeat(long now) {
    return new Member(memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs,
        protocols, assignment, now, awaitingJoin, awaitingSync);
  }

  Member awaitingJoin(boolean awaiting) {
    return new Member(memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs,
        protocols, assignment, lastHeartbeat, awaiting, awaitingSync);
  }

  Member awaitingSync(boolean awaiting) {
    return new Member(memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs,
        protocols, assignment, lastHeartbeat, awaitingJoin, awaiting);
  }

  Member withAssignment(byte[] next) {
    return new Member(memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs,
        protocols, next, lastHeartbeat, awaitingJoin, awaitingSync);
  }

  Member withMemberId(String next) {
    return new Member(next, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs,
        protocols, assignment, lastHeartbeat, awaitingJoin, awaitingSync);
  }

  /** The member as it rejoins: new timeouts and protocols, the rest kept. */
  Member rejoined(JoinRequest request, long now) {
    return new Member(memberId, groupInstanceId, request.clientId(), request.clientHost(),
        request.rebalanceTimeoutMs(), request.sessionTimeoutMs(), request.protocols(), assignment, now, true,
        awaitingSync);
  }

  StoredMember stored(String protocolName) {
    return new StoredMember(memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs,
        metadata(protocolName), assignment);
  }
}
