package dev.runnel.client;

import dev.runnel.client.internal.ConsumerStage;
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
}
