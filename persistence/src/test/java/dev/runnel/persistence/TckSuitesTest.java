package dev.runnel.persistence;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A ScalaTest suite whose constructor throws is dropped silently by the JUnit Platform runner; constructing each
 * here makes such a failure count.
 */
class TckSuitesTest {

  @Test
  void when_theTckSuitesAreConstructed_then_theyHaveTests() {
    assertTrue(new H2JournalSpec().testNames().size() > 0);
    assertTrue(new H2SnapshotStoreSpec().testNames().size() > 0);
    assertTrue(new PostgresJournalSpec().testNames().size() > 0);
    assertTrue(new SegmentJournalSpec().testNames().size() > 0);
    assertTrue(new SegmentSnapshotStoreSpec().testNames().size() > 0);
  }
}
