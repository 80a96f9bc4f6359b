package dev.runnel.broker.fuzz;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one door's fuzzing saw: cases sent, how they were answered, and the failures (5xx answers, hangs), each
 * named by the seed and case number that reproduce it. Thread-safe.
 */
final class FuzzStats {

  /** Failures kept for the report; counting goes on past them. */
  private static final int KEPT_FAILURES = 20;

  final String door;
  final AtomicLong cases = new AtomicLong();
  /** Answered with a response (any status or error code). */
  final AtomicLong answered = new AtomicLong();
  /** Answered by closing the connection (a frame or request the server cannot parse). */
  final AtomicLong closed = new AtomicLong();
  final AtomicLong serverErrors = new AtomicLong();
  final AtomicLong hangs = new AtomicLong();
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

  FuzzStats(String door) {
    this.door = door;
  }

  void serverError(long seed, long index, String what) {
    serverErrors.incrementAndGet();
    keep("5xx", seed, index, what);
  }

  void hang(long seed, long index, String what) {
    hangs.incrementAndGet();
    keep("hang", seed, index, what);
  }

  private void keep(String kind, long seed, long index, String what) {
    if (failures.size() < KEPT_FAILURES) {
      String shown = what.length() > 300 ? what.substring(0, 300) + "..." : what;
      failures.add(kind + " at " + door + " seed " + seed + " case " + index + ": " + shown);
    }
  }

  List<String> failures() {
    synchronized (failures) {
      return List.copyOf(failures);
    }
  }

  @Override
  public String toString() {
    return String.format("%-6s cases %7d  answered %7d  closed %6d  5xx %d  hangs %d",
        door, cases.get(), answered.get(), closed.get(), serverErrors.get(), hangs.get());
  }
}
