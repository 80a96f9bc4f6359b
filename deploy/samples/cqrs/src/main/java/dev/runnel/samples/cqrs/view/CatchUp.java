package dev.runnel.samples.cqrs.view;

import java.util.Map;

/** Whether a projection has handled everything a topic held when it was looked at. Pure. */
public final class CatchUp {

  private CatchUp() {}

  /**
   * True when, in every partition, the projection has handled the record before the log end: {@code logEnd} is
   * each partition's next offset (0: empty, nothing to handle), {@code handled} the offset of the last record it
   * stored per partition (absent: none yet).
   */
  public static boolean caughtUp(Map<Integer, Long> logEnd, Map<Integer, Long> handled) {
    return logEnd.entrySet().stream()
        .allMatch(end -> end.getValue() == 0 || handled.getOrDefault(end.getKey(), -1L) >= end.getValue() - 1);
  }

  /** Records the projection has still to handle, summed over partitions (a log end below what it handled: 0). */
  public static long lag(Map<Integer, Long> logEnd, Map<Integer, Long> handled) {
    return logEnd.entrySet().stream()
        .mapToLong(end -> Math.max(0, end.getValue() - 1 - handled.getOrDefault(end.getKey(), -1L)))
        .sum();
  }
}
