package dev.runnel.broker.transaction;

/**
 * Kafka's transaction states, as a coordinator keeps them ({@code TransactionState} in Kafka's transaction
 * coordinator). Kafka's transient PrepareEpochFence is not a state here: a fenced ongoing transaction goes straight
 * to {@link #PREPARE_ABORT} at the bumped epoch, in one persisted step.
 */
public enum TransactionState {
  /** Initialized (InitProducerId), no transaction open. */
  EMPTY("Empty"),
  /** Partitions or groups have been added: a transaction is open. */
  ONGOING("Ongoing"),
  /** The commit is decided and persisted; markers are being written. */
  PREPARE_COMMIT("PrepareCommit"),
  /** The abort is decided and persisted; markers are being written. */
  PREPARE_ABORT("PrepareAbort"),
  /** Every marker of the commit is written. */
  COMPLETE_COMMIT("CompleteCommit"),
  /** Every marker of the abort is written. */
  COMPLETE_ABORT("CompleteAbort"),
  /** The transactional id is no longer in use. */
  DEAD("Dead");

  private final String kafkaName;

  TransactionState(String kafkaName) {
    this.kafkaName = kafkaName;
  }

  /** The name Kafka's DescribeTransactions and ListTransactions report (and ListTransactions filters by). */
  public String kafkaName() {
    return kafkaName;
  }

  /** Whether a decision is persisted and its markers are not all written yet. */
  public boolean preparing() {
    return this == PREPARE_COMMIT || this == PREPARE_ABORT;
  }

  /** The state of this Kafka name, or null for a name Kafka does not have. */
  public static TransactionState ofKafkaName(String name) {
    for (TransactionState state : values()) {
      if (state.kafkaName.equals(name)) {
        return state;
      }
    }
    return null;
  }
}
