package dev.runnel.broker.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ReadBudgetTest {

  @Test
  void when_bytesAreFree_then_aReservationIsGrantedAtOnce_andWaitsOtherwise() {
    ReadBudget budget = new ReadBudget("test", 100);
    CompletableFuture<Void> first = budget.reserve(60).toCompletableFuture();
    CompletableFuture<Void> second = budget.reserve(60).toCompletableFuture();
    assertTrue(first.isDone(), "60 of 100 free bytes are granted at once");
    assertFalse(second.isDone(), "60 more wait while only 40 are free");
    assertEquals(60, budget.reserved());
    assertEquals(1, budget.waiting());
    budget.release(60);
    assertTrue(second.isDone(), "releasing the first grants the second");
    assertEquals(60, budget.reserved());
    assertEquals(60, budget.peak(), "the peak never passed what was granted");
  }

  @Test
  void when_aLargeReservationWaits_then_smallerOnesBehindItDoNotOvertakeIt() {
    ReadBudget budget = new ReadBudget("test", 100);
    budget.reserve(50);
    CompletableFuture<Void> large = budget.reserve(100).toCompletableFuture();
    CompletableFuture<Void> small = budget.reserve(10).toCompletableFuture();
    assertFalse(small.isDone(), "a small reservation waits behind the large one, so the large one cannot starve");
    budget.release(50);
    assertTrue(large.isDone());
    assertFalse(small.isDone());
    budget.release(100);
    assertTrue(small.isDone());
  }

  @Test
  void when_aReadHoldsMoreThanItReserved_then_takeCountsItBeyondTheLimit_andLaterReservationsWait() {
    ReadBudget budget = new ReadBudget("test", 100);
    budget.reserve(80);
    budget.take(70);
    assertEquals(150, budget.reserved(), "a batch larger than the reservation is counted as held");
    assertEquals(150, budget.peak());
    CompletableFuture<Void> next = budget.reserve(1).toCompletableFuture();
    assertFalse(next.isDone());
    budget.release(150);
    assertTrue(next.isDone());
  }

  @Test
  void when_reservingMoreThanTheLimit_then_itIsRefused() {
    ReadBudget budget = new ReadBudget("test", 100);
    assertThrows(IllegalArgumentException.class, () -> budget.reserve(101));
    assertThrows(IllegalStateException.class, () -> budget.release(1));
  }

  @Test
  void when_aLeaseIsReserved_then_itHoldsTheSameBytesInEveryBudgetOfItsChain_untilReleased() {
    ReadBudget connection = new ReadBudget("connection", 64);
    ReadBudget node = new ReadBudget("node", 100);
    ReadLeases leases = new ReadLeases(List.of(connection, node));
    ReadLease lease = leases.open();
    assertEquals(64L, lease.reserve(1000).toCompletableFuture().join(), "lowered to the smallest limit");
    assertEquals(64, connection.reserved());
    assertEquals(64, node.reserved());
    lease.resize(10);
    assertEquals(10, connection.reserved(), "a read that found less gives the surplus back at once");
    assertEquals(10, node.reserved());
    lease.resize(90);
    assertEquals(90, connection.reserved(), "a first batch larger than the reservation is counted");
    lease.release();
    lease.release();
    assertEquals(0, connection.reserved(), "releasing twice gives back once");
    assertEquals(0, node.reserved());
    assertEquals(0, leases.openCount());
  }

  @Test
  void when_theReaderCloses_then_waitingAndHeldLeasesGiveEverythingBack() {
    ReadBudget node = new ReadBudget("node", 100);
    ReadLeases other = new ReadLeases(List.of(node));
    ReadLease blocker = other.open();
    blocker.reserve(100).toCompletableFuture().join();
    ReadLeases closing = new ReadLeases(List.of(new ReadBudget("connection", 100), node));
    CompletableFuture<Long> waiting = closing.open().reserve(50).toCompletableFuture();
    closing.closeAll();
    assertFalse(waiting.isDone());
    blocker.release();
    assertTrue(waiting.isCompletedExceptionally(), "a lease released while waiting does not go on");
    assertThrows(CompletionException.class, waiting::join);
    assertEquals(0, node.reserved(), "what was granted to the closed reader afterwards went back");
    assertTrue(closing.open().reserve(10).toCompletableFuture().isCompletedExceptionally(),
        "a lease opened after closing starts released");
    assertEquals(0, node.reserved());
  }
}
