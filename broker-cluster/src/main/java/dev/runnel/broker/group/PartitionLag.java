package dev.runnel.broker.group;

/**
 * How far a group is behind on one partition, like {@code kafka-consumer-groups --describe} shows it.
 *
 * @param committedOffset the group's committed offset, -1 if it has none
 * @param logEndOffset the partition's log end offset, -1 if the partition could not be read
 * @param lag records between the committed offset and the log end, -1 when either is unknown
 * @param memberId the member the partition is assigned to, null if none
 */
public record PartitionLag(
    String topic, int partition, long committedOffset, long logEndOffset, long lag, String memberId) {}
