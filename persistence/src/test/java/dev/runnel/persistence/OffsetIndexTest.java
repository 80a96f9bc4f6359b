package dev.runnel.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class OffsetIndexTest {

  private static OffsetIndex threeEvents() {
    return OffsetIndex.empty()
        .appended(new IndexEntry(0, 9, 1, 100, 10))
        .appended(new IndexEntry(10, 19, 2, 100, 30))
        .appended(new IndexEntry(20, 29, 3, 100, 20));
  }

  @ParameterizedTest(name = "offset {0} is in entry {1}")
  @CsvSource({"0,0", "9,0", "10,1", "19,1", "20,2", "29,2", "30,3", "1000,3"})
  void when_lookingUpAnOffset_then_theEventHoldingItIsFound(long offset, int expected) {
    assertEquals(expected, threeEvents().positionFor(offset));
  }

  @ParameterizedTest(name = "timestamp {0} first reached in entry {1}")
  @CsvSource({"0,0", "10,0", "11,1", "25,1", "30,1", "31,3"})
  void when_lookingUpATimestamp_then_theFirstEventReachingItIsFound(long timestamp, int expected) {
    assertEquals(expected, threeEvents().positionForTimestamp(timestamp));
  }

  @Test
  void when_anOlderVersionIsAppendedTo_then_theNewerVersionIsUnchanged() {
    OffsetIndex base = OffsetIndex.empty().appended(new IndexEntry(0, 9, 1, 100, 10));
    OffsetIndex newer = base.appended(new IndexEntry(10, 19, 2, 100, 20));
    OffsetIndex branch = base.appended(new IndexEntry(10, 14, 7, 50, 20));
    assertEquals(2, newer.get(1).sequenceNr());
    assertEquals(7, branch.get(1).sequenceNr());
    assertEquals(1, base.size());
  }

  @Test
  void when_manyEntriesAreAppended_then_allAreKeptInOrder() {
    OffsetIndex index = OffsetIndex.empty();
    for (int i = 0; i < 10_000; i++) {
      index = index.appended(new IndexEntry(i * 2L, i * 2L + 1, i + 1, 10, i));
    }
    assertEquals(10_000, index.size());
    assertEquals(5_000, index.positionFor(10_000));
    assertEquals(index, OffsetIndex.of(index.toList()));
  }

  @Test
  void when_anEntryOverlapsThePrevious_then_itIsRefused() {
    OffsetIndex index = OffsetIndex.empty().appended(new IndexEntry(0, 9, 1, 100, 10));
    assertThrows(IllegalArgumentException.class, () -> index.appended(new IndexEntry(5, 12, 2, 100, 10)));
  }
}
