package dev.runnel.broker.group;

/**
 * An offset a group committed for one partition.
 *
 * @param offset the next offset the group will read
 * @param leaderEpoch the leader epoch the client saw, -1 when unknown
 * @param metadata the client's free-form metadata, never null
 * @param commitTimestamp when the coordinator stored it, in epoch milliseconds
 */
public record CommittedOffset(long offset, int leaderEpoch, String metadata, long commitTimestamp) {

  public CommittedOffset {
    metadata = metadata == null ? "" : metadata;
  }
}
