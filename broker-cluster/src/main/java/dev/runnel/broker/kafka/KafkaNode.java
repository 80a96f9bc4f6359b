package dev.runnel.broker.kafka;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

/**
 * This node as Kafka clients see it: a broker id, the address it advertises and the cluster id. Runnel's partitions
 * have one replica, so this node leads every partition it serves, at leader epoch 0, with itself as the only
 * in-sync replica.
 */
record KafkaNode(int nodeId, String host, int port, String clusterId) {

  /** The leader epoch of every partition: there is one replica and no leader election. */
  static final int LEADER_EPOCH = 0;

  /** A stable cluster id derived from the actor system's name, in Kafka's base64 form. */
  static String clusterId(String systemName) {
    UUID uuid = UUID.nameUUIDFromBytes(("runnel-cluster:" + systemName).getBytes(StandardCharsets.UTF_8));
    return new Uuid(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits()).toString();
  }

  /**
   * Kafka's check of the leader epoch a client believes current: a newer one than ours is unknown here, an older one
   * is fenced; -1 means the client does not know and skips the check.
   */
  static Errors checkLeaderEpoch(int currentLeaderEpoch) {
    if (currentLeaderEpoch < 0 || currentLeaderEpoch == LEADER_EPOCH) {
      return Errors.NONE;
    }
    return currentLeaderEpoch > LEADER_EPOCH ? Errors.UNKNOWN_LEADER_EPOCH : Errors.FENCED_LEADER_EPOCH;
  }
}
