package dev.runnel.broker.group;

import java.util.List;

/**
 * Kafka's JoinGroup, as the coordinator needs it.
 *
 * @param memberId the member's id, or empty for a member that joins for the first time
 * @param groupInstanceId {@code group.instance.id} of a static member, or null
 * @param rebalanceTimeoutMs how long the coordinator waits for members to rejoin ({@code max.poll.interval.ms})
 * @param protocolType {@code consumer} for Kafka consumers, {@link GroupMachine#NATIVE_PROTOCOL_TYPE} for members
 *     the coordinator assigns itself
 * @param requireKnownMemberId JoinGroup v4+: a new dynamic member first gets its id with MEMBER_ID_REQUIRED
 *     (KIP-394)
 */
public record JoinRequest(
    String memberId,
    String groupInstanceId,
    String clientId,
    String clientHost,
    int sessionTimeoutMs,
    int rebalanceTimeoutMs,
    String protocolType,
    List<Protocol> protocols,
    boolean requireKnownMemberId) {

  public JoinRequest {
    memberId = memberId == null ? "" : memberId;
    clientId = clientId == null ? "" : clientId;
    clientHost = clientHost == null ? "" : clientHost;
    protocolType = protocolType == null ? "" : protocolType;
    protocols = List.copyOf(protocols);
  }
}
