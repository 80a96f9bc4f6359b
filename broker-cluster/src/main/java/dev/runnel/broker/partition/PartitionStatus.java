package dev.runnel.broker.partition;

/**
 * A partition's offsets and size.
 *
 * @param logStartOffset the first offset that can be fetched
 * @param logEndOffset the offset the next record will get, equal to the high watermark on one replica
 * @param sizeInBytes bytes of record batches held
 * @param journalWrites journal events written for this partition so far (its journal sequence number); with group
 *     commit, many appends share one write
 */
public record PartitionStatus(long logStartOffset, long logEndOffset, long sizeInBytes, long journalWrites) {}
