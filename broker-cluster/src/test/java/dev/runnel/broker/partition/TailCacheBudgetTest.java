package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The node-wide budget of the tail caches: its bound, each cache's own bound, and least recently used first. */
@Timeout(60)
class TailCacheBudgetTest {

  private static RecordsAppended event(int bytes) {
    return new RecordsAppended(0, 0, new byte[bytes]);
  }

  @Test
  void when_manyPartitionsAreWritten_then_theCachesTogetherStayWithinTheBudgetAndEachWithinItsOwnLimit() {
    TailCacheBudget budget = new TailCacheBudget(1_000_000);
    List<TailCache> caches = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      caches.add(new TailCache(64 * 1024, budget));
    }
    Random random = new Random(7);
    long[] sequenceNrs = new long[caches.size()];
    long written = 0;
    for (int round = 0; round < 50_000; round++) {
      int partition = random.nextInt(caches.size());
      int size = 100 + random.nextInt(20_000);
      caches.get(partition).add(++sequenceNrs[partition], event(size));
      written += size;
      assertTrue(budget.bytes() <= 1_000_000, "round " + round + ": " + budget.bytes() + " bytes held");
    }
    long sum = 0;
    for (TailCache cache : caches) {
      synchronized (budget) {
        assertTrue(cache.bytes() <= 64 * 1024);
        sum += cache.bytes();
      }
    }
    assertEquals(budget.bytes(), sum, "the budget counts exactly what the caches hold");
    assertTrue(budget.bytes() > 900_000, "a full budget is used, not emptied: " + budget.bytes());
    assertTrue(budget.evictedBytes() > written / 2, "most of " + written + " bytes were evicted by the budget");
  }

  @Test
  void when_theBudgetIsFull_then_theLeastRecentlyUsedPartitionGivesUpItsBytesFirst() {
    TailCacheBudget budget = new TailCacheBudget(3_000);
    TailCache a = new TailCache(10_000, budget);
    TailCache b = new TailCache(10_000, budget);
    TailCache c = new TailCache(10_000, budget);
    a.add(1, event(1_000));
    b.add(1, event(1_000));
    c.add(1, event(1_000));
    assertNotNull(a.get(1), "a fetch from a makes b the least recently used");

    TailCache d = new TailCache(10_000, budget);
    d.add(1, event(1_000));
    assertNull(b.get(1), "b was used longest ago");
    assertNotNull(a.get(1));
    assertNotNull(c.get(1));
    assertNotNull(d.get(1));
    assertEquals(3_000, budget.bytes());
    assertEquals(3, budget.caches());

    c.clear();
    assertEquals(2_000, budget.bytes(), "a cleared (stopped) partition's bytes go back to the budget");
    assertEquals(2, budget.caches());
  }

  @Test
  void when_aCacheIsOverItsOwnLimit_then_itsOldestEventsGoWhateverTheBudget() {
    TailCacheBudget budget = new TailCacheBudget(1_000_000);
    TailCache cache = new TailCache(2_500, budget);
    for (int i = 1; i <= 5; i++) {
      cache.add(i, event(1_000));
    }
    assertNull(cache.get(3));
    assertNotNull(cache.get(4));
    assertNotNull(cache.get(5));
    assertEquals(2_000, budget.bytes());
    assertEquals(0, budget.evictedBytes(), "the budget itself evicted nothing");
  }

  @Test
  void when_partitionsOnManyThreadsAddAndReadAtOnce_then_theBudgetHoldsAndCountsExactly() throws Exception {
    TailCacheBudget budget = new TailCacheBudget(200_000);
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<TailCache> caches = new ArrayList<>();
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      // Each partition is used by one thread at a time, as an entity is; the budget evicts across them.
      List<TailCache> own = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        own.add(new TailCache(20_000, budget));
      }
      caches.addAll(own);
      int seed = t;
      done.add(pool.submit(() -> {
        start.await();
        Random random = new Random(seed);
        for (int i = 1; i <= 20_000; i++) {
          TailCache cache = own.get(random.nextInt(own.size()));
          cache.add(i, event(1 + random.nextInt(5_000)));
          cache.get(i - random.nextInt(5));
          assertTrue(budget.bytes() <= 200_000);
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> future : done) {
      future.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    long sum = 0;
    synchronized (budget) {
      for (TailCache cache : caches) {
        sum += cache.bytes();
      }
    }
    assertEquals(budget.bytes(), sum);
  }
}
