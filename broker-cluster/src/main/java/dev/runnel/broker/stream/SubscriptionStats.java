package dev.runnel.broker.stream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the broker holds for one native-protocol subscription, for metrics and tests: the credit the client has
 * granted and the broker not yet used, and the Records frames (and their bytes) read from the partition but not
 * yet handed to the WebSocket, now and at most so far. Thread-safe.
 */
public final class SubscriptionStats {

  private final long connectionId;
  private final int subscriptionId;
  private final String topic;
  private final int partition;
  private final AtomicLong credit = new AtomicLong();
  private final AtomicInteger framesHeld = new AtomicInteger();
  private final AtomicLong bytesHeld = new AtomicLong();
  private final AtomicInteger maxFramesHeld = new AtomicInteger();
  private final AtomicLong maxBytesHeld = new AtomicLong();
  private final AtomicLong maxCredit = new AtomicLong();
  private final AtomicLong framesSent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();

  SubscriptionStats(long connectionId, int subscriptionId, String topic, int partition) {
    this.connectionId = connectionId;
    this.subscriptionId = subscriptionId;
    this.topic = topic;
    this.partition = partition;
  }

  public long connectionId() {
    return connectionId;
  }

  public int subscriptionId() {
    return subscriptionId;
  }

  public String topic() {
    return topic;
  }

  public int partition() {
    return partition;
  }

  /** Credit granted by the client and not yet used. */
  public long credit() {
    return credit.get();
  }

  /** The most credit held at once so far. */
  public long maxCredit() {
    return maxCredit.get();
  }

  /** Frames read from the partition and not yet handed to the WebSocket. */
  public int framesHeld() {
    return framesHeld.get();
  }

  public long bytesHeld() {
    return bytesHeld.get();
  }

  /** The most frames held at once so far. */
  public int maxFramesHeld() {
    return maxFramesHeld.get();
  }

  /** The most bytes held at once so far. */
  public long maxBytesHeld() {
    return maxBytesHeld.get();
  }

  /** Frames handed to the WebSocket so far. */
  public long framesSent() {
    return framesSent.get();
  }

  /** Bytes of frames handed to the WebSocket so far. */
  public long bytesSent() {
    return bytesSent.get();
  }

  void granted(int frames) {
    maxCredit.accumulateAndGet(credit.addAndGet(frames), Math::max);
  }

  boolean hasCredit() {
    return credit.get() > 0;
  }

  void read(int bytes) {
    credit.decrementAndGet();
    maxFramesHeld.accumulateAndGet(framesHeld.incrementAndGet(), Math::max);
    maxBytesHeld.accumulateAndGet(bytesHeld.addAndGet(bytes), Math::max);
  }

  void written(int bytes) {
    framesHeld.decrementAndGet();
    bytesHeld.addAndGet(-bytes);
    framesSent.incrementAndGet();
    bytesSent.addAndGet(bytes);
  }

  @Override
  public String toString() {
    return "subscription " + subscriptionId + " of connection " + connectionId + " on " + topic + "-" + partition
        + " (credit " + credit() + ", frames held " + framesHeld() + ", bytes held " + bytesHeld() + ")";
  }
}
