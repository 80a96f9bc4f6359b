package dev.runnel.broker.group;

/** The states of a classic consumer group, with the names Kafka's DescribeGroups and ListGroups report. */
public enum GroupState {
  /** No members; the group may still hold committed offsets. */
  EMPTY("Empty"),
  /** A rebalance has begun: members must rejoin before the rebalance timeout. */
  PREPARING_REBALANCE("PreparingRebalance"),
  /** Every member has rejoined; the coordinator waits for the leader's assignment (SyncGroup). */
  COMPLETING_REBALANCE("CompletingRebalance"),
  /** Members hold their assignment and heartbeat. */
  STABLE("Stable"),
  /** The group does not exist (never did, was deleted, or its offsets expired while it was empty). */
  DEAD("Dead");

  private final String kafkaName;

  GroupState(String kafkaName) {
    this.kafkaName = kafkaName;
  }

  /** The name Kafka's protocol and tools use. */
  public String kafkaName() {
    return kafkaName;
  }
}
