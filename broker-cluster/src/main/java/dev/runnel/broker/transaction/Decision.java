package dev.runnel.broker.transaction;

/**
 * What one step of {@link TransactionMachine} decided: the transition to persist (null when nothing changes) and
 * the reply, sent once the transition is stored; or that the step needs a new producer id first.
 */
record Decision<R>(TransactionMetadata next, R reply, boolean needsProducerId) {

  static <R> Decision<R> reply(R reply) {
    return new Decision<>(null, reply, false);
  }

  static <R> Decision<R> transit(TransactionMetadata next, R reply) {
    return new Decision<>(next, reply, false);
  }

  static <R> Decision<R> producerIdNeeded() {
    return new Decision<>(null, null, true);
  }
}
