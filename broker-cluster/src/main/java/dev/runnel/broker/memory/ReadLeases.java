package dev.runnel.broker.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The leases of one reader (a Kafka connection, a stream): each {@link #open} lease reserves in this reader's own
 * budget first, if it has one, then in the node's. {@link #closeAll} releases every lease still open when the
 * reader goes away, whatever state its reads are in, and leases opened afterwards start released.
 *
 * <p>Thread-safe.
 */
public final class ReadLeases {

  private final List<ReadBudget> chain;
  private final Set<ReadLease> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** Leases in {@code chain}, in that order (the reader's own budget first, the node's last). */
  public ReadLeases(List<ReadBudget> chain) {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a lease needs at least one budget");
    }
    this.chain = List.copyOf(chain);
  }

  public ReadLease open() {
    ReadLease lease = new ReadLease(chain, open::remove);
    open.add(lease);
    if (closed) {
      lease.release();
    }
    return lease;
  }

  /** Releases every open lease; later ones are released as they open. */
  public void closeAll() {
    closed = true;
    for (ReadLease lease : new ArrayList<>(open)) {
      lease.release();
    }
  }

  /** Leases opened and not yet released. */
  public int openCount() {
    return open.size();
  }
}
