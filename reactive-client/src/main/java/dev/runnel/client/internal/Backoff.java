package dev.runnel.client.internal;

import java.time.Duration;

/** Exponential reconnect backoff: min, doubled after each failed attempt up to max, reset by success. */
public final class Backoff {

  private final Duration min;
  private final Duration max;
  private Duration next;

  public Backoff(Duration min, Duration max) {
    this.min = min;
    this.max = max;
    this.next = min;
  }

  /** The delay before the next attempt; the one after it doubles. */
  public Duration next() {
    Duration delay = next;
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    return delay;
  }

  public void reset() {
    next = min;
  }
}
