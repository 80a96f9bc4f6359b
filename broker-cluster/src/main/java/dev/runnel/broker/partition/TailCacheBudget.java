package dev.runnel.broker.partition;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The bytes all partitions' tail caches of a node hold together ({@code runnel.broker.partition.tail-cache-total-bytes}),
 * so that a node with thousands of partitions keeps a bounded heap however many of them are written: when adding an
 * event takes the total beyond the budget, the least recently used partitions' caches give up their oldest events
 * first, the cache just added to last. A partition's own cache never holds more than its own limit
 * ({@code tail-cache-bytes}). Bytes evicted here are read from the journal when fetched, as any event older than a
 * cache is.
 *
 * <p>Thread-safe. This object's monitor guards every cache of the budget (their contents too): one uncontended lock
 * per add or lookup, and an eviction never needs a second lock, so caches of partitions on different threads cannot
 * deadlock.
 */
public final class TailCacheBudget {

  private final long totalBytes;
  /** The caches that hold bytes, least recently used first. */
  private final LinkedHashMap<TailCache, Boolean> caches = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;
  private long evictedBytes;

  public TailCacheBudget(long totalBytes) {
    if (totalBytes < 0) {
      throw new IllegalArgumentException("runnel.broker.partition.tail-cache-total-bytes must not be negative");
    }
    this.totalBytes = totalBytes;
  }

  /** The budget. */
  public long totalBytes() {
    return totalBytes;
  }

  /** Bytes the caches hold now; never above {@link #totalBytes} between calls. */
  public synchronized long bytes() {
    return bytes;
  }

  /** How many caches hold bytes now. */
  public synchronized int caches() {
    return caches.size();
  }

  /** Bytes evicted so far to keep within the budget (not counting what a cache evicted for its own limit). */
  public synchronized long evictedBytes() {
    return evictedBytes;
  }

  /** {@code cache} was used: it becomes the most recently used. Call holding this monitor. */
  void touched(TailCache cache) {
    caches.get(cache);
  }

  /**
   * {@code cache} now holds {@code delta} bytes more (or fewer); evicts from the least recently used caches while
   * the total is beyond the budget. Call holding this monitor.
   */
  void changed(TailCache cache, long delta) {
    bytes += delta;
    if (cache.bytes() > 0) {
      caches.put(cache, Boolean.TRUE);
    } else {
      caches.remove(cache);
    }
    Iterator<TailCache> leastRecent = caches.keySet().iterator();
    while (bytes > totalBytes && leastRecent.hasNext()) {
      TailCache victim = leastRecent.next();
      long freed = victim.evictOldest(bytes - totalBytes);
      bytes -= freed;
      evictedBytes += freed;
      if (victim.bytes() == 0) {
        leastRecent.remove();
      }
    }
  }
}
