package dev.runnel.client;

/**
 * Kafka's consumer group metadata: the group member a record was consumed by, in the generation it was consumed
 * in. A transaction commits the offsets it consumed under it, so that the group refuses them (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID) once a rebalance gave the partitions to another member (KIP-447).
 */
public record ConsumerGroupMetadata(String groupId, String memberId, int generationId) {}
