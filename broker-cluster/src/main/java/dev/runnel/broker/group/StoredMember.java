package dev.runnel.broker.group;

import java.util.Arrays;
import java.util.Objects;

/**
 * A member of a completed generation as the coordinator persists it: enough to resume heartbeats and serve
 * SyncGroup after a restart without a rebalance (Kafka stores the same in its group metadata record).
 *
 * @param groupInstanceId the static member's {@code group.instance.id} (KIP-345), or null for a dynamic member
 * @param subscription the member's metadata for the group's chosen protocol
 * @param assignment the member's assignment in this generation
 */
public record StoredMember(
    String memberId,
    String groupInstanceId,
    String clientId,
    String clientHost,
    int rebalanceTimeoutMs,
    int sessionTimeoutMs,
    byte[] subscription,
    byte[] assignment) {

  public StoredMember {
    Objects.requireNonNull(memberId, "memberId");
    clientId = clientId == null ? "" : clientId;
    clientHost = clientHost == null ? "" : clientHost;
    subscription = subscription == null ? new byte[0] : subscription;
    assignment = assignment == null ? new byte[0] : assignment;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof StoredMember that
        && memberId.equals(that.memberId)
        && Objects.equals(groupInstanceId, that.groupInstanceId)
        && clientId.equals(that.clientId)
        && clientHost.equals(that.clientHost)
        && rebalanceTimeoutMs == that.rebalanceTimeoutMs
        && sessionTimeoutMs == that.sessionTimeoutMs
        && Arrays.equals(subscription, that.subscription)
        && Arrays.equals(assignment, that.assignment);
  }

  @Override
  public int hashCode() {
    return Objects.hash(memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs)
        + 31 * Arrays.hashCode(subscription) + Arrays.hashCode(assignment);
  }
}
