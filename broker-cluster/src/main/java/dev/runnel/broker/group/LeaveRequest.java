package dev.runnel.broker.group;

import java.util.List;

/** Kafka's LeaveGroup: v3+ may remove several members, static ones by their instance id (KIP-345). */
public record LeaveRequest(List<Leaving> members) {

  public LeaveRequest {
    members = List.copyOf(members);
  }

  /** A member to remove; {@code memberId} may be empty when {@code groupInstanceId} names it. */
  public record Leaving(String memberId, String groupInstanceId) {
    public Leaving {
      memberId = memberId == null ? "" : memberId;
    }
  }
}
