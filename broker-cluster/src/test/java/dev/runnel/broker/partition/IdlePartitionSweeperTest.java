package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The idle sweep spreads its wake-ups over the first half of its interval, one slice a second. */
@Timeout(30)
class IdlePartitionSweeperTest {

  private static List<PartitionId> partitions(int count) {
    return IntStream.range(0, count).mapToObj(p -> new PartitionId("t", "id", p)).toList();
  }

  @ParameterizedTest(name = "{0} partitions every {1}: {2} slices of at most {3}")
  @CsvSource({
      "10000, PT1H, 1667, 6",
      "10, PT1H, 10, 1",
      "10000, PT3S, 1, 10000",
      "5, PT10S, 5, 1",
      "7, PT4S, 2, 4"})
  void when_aSweepStarts_then_everyPartitionIsInExactlyOneSliceAndTheSlicesAreSpreadOverHalfTheInterval(
      int count, Duration interval, int expectedSlices, int expectedMaxSize) {
    List<PartitionId> all = partitions(count);
    List<List<PartitionId>> slices = IdlePartitionSweeper.slices(all, interval);
    assertEquals(expectedSlices, slices.size(), "slices");
    assertTrue(slices.stream().allMatch(slice -> slice.size() <= expectedMaxSize), "no slice above "
        + expectedMaxSize);
    List<PartitionId> joined = new ArrayList<>();
    slices.forEach(joined::addAll);
    assertEquals(all, joined, "every partition once, in order");
    Duration spread = IdlePartitionSweeper.sliceDelay(interval, slices.size()).multipliedBy(slices.size());
    assertTrue(slices.size() == 1 || spread.compareTo(interval.dividedBy(2)) <= 0,
        "the last slice is woken within the first half of the interval: " + spread);
  }

  @Test
  void when_thereAreNoPartitions_then_thereIsNothingToWake() {
    assertEquals(List.of(), IdlePartitionSweeper.slices(List.of(), Duration.ofHours(1)));
  }
}
