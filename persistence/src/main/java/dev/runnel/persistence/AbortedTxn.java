package dev.runnel.persistence;

/**
 * One entry of a partition's aborted-transactions index (Kafka's {@code AbortedTxn}): producer {@code producerId}'s
 * transaction held records from {@code firstOffset} and was aborted by the marker at {@code lastOffset}. A
 * read_committed consumer given this entry drops that producer's transactional records from {@code firstOffset} up
 * to the marker.
 */
public record AbortedTxn(long producerId, long firstOffset, long lastOffset) {}
