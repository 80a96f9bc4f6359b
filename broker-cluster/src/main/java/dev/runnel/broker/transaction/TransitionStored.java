package dev.runnel.broker.transaction;

/**
 * The one event of a transaction coordinator: a transition happened, and this is the metadata after it (Kafka's
 * transaction log logs the whole metadata on every transition the same way). Replay keeps the last one.
 */
public record TransitionStored(TransactionMetadata metadata) {}
