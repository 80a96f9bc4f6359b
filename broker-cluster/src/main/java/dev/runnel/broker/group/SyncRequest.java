package dev.runnel.broker.group;

import java.util.Map;

/**
 * Kafka's SyncGroup.
 *
 * @param protocolType the group's protocol type as the member knows it, null when the request version has none
 * @param protocolName the chosen protocol as the member knows it, null when the request version has none
 * @param assignments the leader's assignment per member id; empty from the other members
 */
public record SyncRequest(
    String memberId,
    String groupInstanceId,
    int generationId,
    String protocolType,
    String protocolName,
    Map<String, byte[]> assignments) {

  public SyncRequest {
    assignments = Map.copyOf(assignments);
  }
}
