package dev.runnel.client;

/** A record of {@link Transactional#source}, with its offset to commit in the transaction of what it produced. */
public record TransactionalMessage(ConsumerRecord record, PartitionOffset partitionOffset) {}
