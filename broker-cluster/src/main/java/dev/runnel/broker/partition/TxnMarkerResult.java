package dev.runnel.broker.partition;

import org.apache.kafka.common.protocol.Errors;

/**
 * The answer to {@link Partition.WriteTxnMarker}: Kafka's WriteTxnMarkers error for one partition.
 *
 * @param error {@link Errors#NONE} when the marker is stored (or there was nothing to end), else why not:
 *     {@code NOT_LEADER_OR_FOLLOWER}, {@code UNKNOWN_TOPIC_OR_PARTITION}, {@code INVALID_PRODUCER_EPOCH},
 *     {@code TRANSACTION_COORDINATOR_FENCED} (a later coordinator epoch wrote this producer's last marker here), or a
 *     retriable error such as {@code KAFKA_STORAGE_ERROR}
 */
public record TxnMarkerResult(Errors error) {

  public static final TxnMarkerResult DONE = new TxnMarkerResult(Errors.NONE);
}
