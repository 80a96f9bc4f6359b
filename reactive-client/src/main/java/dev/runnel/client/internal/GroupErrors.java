package dev.runnel.client.internal;

import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

/**
 * What a group member does with the error its coordinator (or its connection) gave it, as kafka-clients'
 * ConsumerCoordinator decides: a rebalance is joined, a lost membership is given up and joined afresh, a moving or
 * unreachable coordinator is asked again until the retry deadline, anything else fails the source.
 */
public final class GroupErrors {

  /** The member's reaction to an error. */
  public enum Reaction {
    /** No error. */
    PROCEED,
    /** The group is rebalancing: join again, keeping the partitions. */
    REJOIN,
    /** The member was removed or its generation is over: its partitions are gone; join again. */
    LOST_MEMBERSHIP,
    /** The coordinator is moving or unreachable, or the connection dropped: ask again after a backoff. */
    RETRY,
    /** Retrying cannot help, or the retry deadline has passed. */
    FAIL
  }

  private GroupErrors() {}

  /**
   * @param withinDeadline whether the run of retriable errors this one belongs to is younger than the retry timeout
   */
  public static Reaction reaction(Errors error, boolean withinDeadline) {
    if (error == Errors.NONE) {
      return Reaction.PROCEED;
    }
    if (error == Errors.REBALANCE_IN_PROGRESS) {
      return Reaction.REJOIN;
    }
    if (error == Errors.UNKNOWN_MEMBER_ID || error == Errors.ILLEGAL_GENERATION
        || error == Errors.FENCED_INSTANCE_ID) {
      return Reaction.LOST_MEMBERSHIP;
    }
    if (isRetriable(error)) {
      return withinDeadline ? Reaction.RETRY : Reaction.FAIL;
    }
    return Reaction.FAIL;
  }

  /**
   * The coordinator errors Kafka's consumer rediscovers its coordinator on, a request the broker timed out, a lost
   * connection, and whatever else Kafka marks retriable (a partition moving: NOT_LEADER_OR_FOLLOWER, ...).
   */
  public static boolean isRetriable(Errors error) {
    return error == Errors.NOT_COORDINATOR || error == Errors.COORDINATOR_NOT_AVAILABLE
        || error == Errors.COORDINATOR_LOAD_IN_PROGRESS || error == Errors.REQUEST_TIMED_OUT
        || error == Errors.NETWORK_EXCEPTION || error.exception() instanceof RetriableException;
  }

  /** Whether a run of retriable errors that began at {@code sinceNanos} is still within {@code timeoutNanos}. */
  public static boolean withinDeadline(long sinceNanos, long nowNanos, long timeoutNanos) {
    return nowNanos - sinceNanos < timeoutNanos;
  }
}
