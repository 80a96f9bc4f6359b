package dev.runnel.broker.memory;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The bytes one read holds in a chain of {@link ReadBudget}s (a connection's, then the node's), from before it reads
 * until its answer has been written out. Reserving takes the budgets in chain order, so two leases never wait for
 * each other crosswise. Releasing is idempotent, and a lease released while it still waits (its connection closed)
 * gives back whatever is granted to it afterwards, so no byte is ever lost to a dead connection.
 *
 * <p>Thread-safe: a lease is reserved by a handler, resized when the read completes and released by the writer.
 */
public final class ReadLease {

  private final List<ReadBudget> budgets;
  private final long[] held;
  private final Consumer<ReadLease> onRelease;
  private boolean released;

  ReadLease(List<ReadBudget> budgets, Consumer<ReadLease> onRelease) {
    this.budgets = List.copyOf(budgets);
    this.held = new long[budgets.size()];
    this.onRelease = onRelease;
  }

  /** The most a single lease can reserve: the smallest limit of the chain. */
  public long maxBytes() {
    long max = Long.MAX_VALUE;
    for (ReadBudget budget : budgets) {
      max = Math.min(max, budget.limit());
    }
    return max;
  }

  /**
   * Reserves {@code bytes}, lowered to {@link #maxBytes}, in every budget of the chain; the stage completes with
   * the bytes reserved once all have granted them, or fails with a {@link CancellationException} when the lease was
   * released meanwhile.
   */
  public CompletionStage<Long> reserve(long bytes) {
    long amount = Math.max(0, Math.min(bytes, maxBytes()));
    CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
    for (int i = 0; i < budgets.size(); i++) {
      int index = i;
      chain = chain.thenCompose(granted -> grant(index, amount));
    }
    return chain.thenApply(granted -> amount);
  }

  private CompletionStage<Void> grant(int index, long amount) {
    ReadBudget budget = budgets.get(index);
    return budget.reserve(amount).thenRun(() -> {
      boolean giveBack;
      synchronized (this) {
        giveBack = released;
        if (!giveBack) {
          held[index] += amount;
        }
      }
      if (giveBack) {
        budget.release(amount);
        throw new CancellationException("the read was abandoned while it waited for " + budget.name());
      }
    });
  }

  /**
   * Makes the lease hold exactly {@code bytes}, what the read turned out to hold: the surplus goes back at once
   * (a fetch that found less than it reserved), a deficit is taken even beyond the limits (KIP-74: a first batch
   * larger than the reservation is still sent).
   */
  public void resize(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("a lease cannot hold " + bytes + " bytes");
    }
    for (int i = 0; i < budgets.size(); i++) {
      long difference;
      synchronized (this) {
        if (released) {
          return;
        }
        difference = bytes - held[i];
        held[i] = bytes;
      }
      if (difference > 0) {
        budgets.get(i).take(difference);
      } else if (difference < 0) {
        budgets.get(i).release(-difference);
      }
    }
  }

  /** The bytes this lease holds in the first budget of its chain. */
  public synchronized long held() {
    return held.length == 0 ? 0 : held[0];
  }

  /** Gives back everything the lease holds, now and whatever is granted to it later. Idempotent. */
  public void release() {
    long[] giveBack;
    synchronized (this) {
      if (released) {
        return;
      }
      released = true;
      giveBack = held.clone();
      Arrays.fill(held, 0);
    }
    for (int i = 0; i < budgets.size(); i++) {
      if (giveBack[i] > 0) {
        budgets.get(i).release(giveBack[i]);
      }
    }
    onRelease.accept(this);
  }
}
