package dev.runnel.broker.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A pool of bytes that reads may hold at once: a byte semaphore that never blocks. {@link #reserve} completes its
 * stage once the bytes are free, in the order reservations were asked for (a large reservation is not overtaken by
 * smaller ones behind it, so it cannot starve); {@link #release} gives bytes back and grants the waiting
 * reservations that now fit. {@link #take} adds bytes at once, even past the limit: it is for what a read turned out
 * to hold beyond its reservation (a record batch larger than the reservation, which KIP-74 says is still sent), so
 * that the count stays the bytes really held.
 *
 * <p>The gauges ({@link #reserved}, {@link #peak}, {@link #waiting}) are what tests and metrics read. Thread-safe:
 * the stages of granted reservations complete outside the lock, on the thread that released the bytes.
 */
public final class ReadBudget {

  private record Waiter(long bytes, CompletableFuture<Void> granted) {}

  private final String name;
  private final long limit;
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private long reserved;
  private long peak;

  public ReadBudget(String name, long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException(name + " must be positive");
    }
    this.name = name;
    this.limit = limit;
  }

  /**
   * Reserves {@code bytes}, at most {@link #limit}; the stage completes once they are reserved. Never blocks.
   */
  public CompletionStage<Void> reserve(long bytes) {
    if (bytes < 0 || bytes > limit) {
      throw new IllegalArgumentException("cannot reserve " + bytes + " bytes of " + name + " (limit " + limit + ")");
    }
    CompletableFuture<Void> granted = new CompletableFuture<>();
    boolean now;
    synchronized (this) {
      now = waiters.isEmpty() && reserved + bytes <= limit;
      if (now) {
        add(bytes);
      } else {
        waiters.add(new Waiter(bytes, granted));
      }
    }
    if (now) {
      granted.complete(null);
    }
    return granted;
  }

  /** Adds {@code bytes} at once, even beyond the limit; later reservations wait until they are released. */
  public void take(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("cannot take " + bytes + " bytes of " + name);
    }
    synchronized (this) {
      add(bytes);
    }
  }

  /** Gives back {@code bytes} reserved or taken earlier, and grants the waiting reservations that now fit. */
  public void release(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("cannot release " + bytes + " bytes of " + name);
    }
    List<CompletableFuture<Void>> granted = new ArrayList<>();
    synchronized (this) {
      if (bytes > reserved) {
        throw new IllegalStateException("releasing " + bytes + " bytes of " + name + ", but only " + reserved
            + " are reserved");
      }
      reserved -= bytes;
      while (!waiters.isEmpty() && reserved + waiters.peek().bytes() <= limit) {
        Waiter waiter = waiters.poll();
        add(waiter.bytes());
        granted.add(waiter.granted());
      }
    }
    for (CompletableFuture<Void> future : granted) {
      future.complete(null);
    }
  }

  private void add(long bytes) {
    reserved += bytes;
    peak = Math.max(peak, reserved);
  }

  public String name() {
    return name;
  }

  public long limit() {
    return limit;
  }

  /** Bytes reserved or taken now. */
  public synchronized long reserved() {
    return reserved;
  }

  /** The most bytes ever reserved at once. */
  public synchronized long peak() {
    return peak;
  }

  /** Reservations waiting for bytes. */
  public synchronized int waiting() {
    return waiters.size();
  }
}
