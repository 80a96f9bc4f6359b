package dev.runnel.client;

import dev.runnel.client.internal.ConsumerStage;
import dev.runnel.client.internal.GroupConsumerStage;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Sources of records from a Runnel broker over the native streaming protocol, backpressured end to end: the
 * broker sends a partition's records only against credits, and the source grants credits only as its bounded
 * buffer ({@code credit-window} frames of at most {@code max-frame-bytes} per partition) drains.
 */
public final class Consumer {

  private Consumer() {}

  /**
   * The records of the subscription's partitions, each partition in offset order, on one connection. Reconnects
   * with backoff after a dropped connection and resumes each partition at the offset after the last record it
   * emitted. Fails with {@link RunnelException} when the broker refuses a subscription (unknown topic or
   * partition, offset out of range).
   */
  public static Source<ConsumerRecord, Control> plainSource(ConsumerSettings settings, Subscription subscription) {
    return Source.fromGraph(new ConsumerStage(settings, subscription));
  }

  /**
   * The records of the partitions that consumer group {@code groupId} assigns this source among {@code topics}
   * (the broker's coordinator assigns, by {@code consumer.group.strategy}), each with the offset to commit once it
   * is processed (see {@link Committer}). A partition starts at the group's committed offset, else by
   * {@code consumer.group.auto-offset-reset}; with {@code none} the source fails with Kafka's
   * {@code NoOffsetForPartitionException}. On a rebalance a revoked partition's subscription stops, and its
   * records buffered but not emitted are dropped, before the source confirms the revocation; records it emitted
   * and that were not committed are read again by the partition's next owner (at least once). Shut it down with
   * {@link Control#drainAndShutdown} to have everything emitted committed before it leaves the group. A lost
   * connection fails the source with {@link RunnelException} (it does not reconnect; run it under a restart).
   */
  public static Source<CommittableMessage, Control> committableSource(ConsumerSettings settings, String groupId,
      Set<String> topics) {
    return Source.fromGraph(GroupConsumerStage.committable(settings, groupId, topics));
  }

  /**
   * Like {@link #committableSource}, but emits each partition assigned to this member as its own sub-source, with
   * its topic-partition; each sub-source has its own backpressure (a slow partition does not hold the others up)
   * and completes when the group revokes the partition (or the source is stopped). Cancelling a sub-source stops
   * reading that partition until the group assigns it again. A sub-source must be run within Pekko's
   * {@code pekko.stream.materializer.subscription-timeout}.
   */
  public static Source<Pair<TopicPartition, Source<CommittableMessage, NotUsed>>, Control> partitionedSource(
      ConsumerSettings settings, String groupId, Set<String> topics) {
    return Source.fromGraph(GroupConsumerStage.partitioned(settings, groupId, topics));
  }
}
