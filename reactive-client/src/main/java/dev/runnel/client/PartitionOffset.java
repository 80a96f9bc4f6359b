package dev.runnel.client;

/**
 * The position of one consumed record in a group's partition, as {@link Transactional#source} emits it: a
 * transaction that carries it commits {@code offset() + 1} for the group, the next offset the group reads.
 */
public record PartitionOffset(ConsumerGroupMetadata group, String topic, int partition, long offset) {}
