package dev.runnel.samples.cqrs.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CatchUpTest {

  @Test
  void when_everyPartitionsLastRecordIsHandled_then_theProjectionHasCaughtUp() {
    assertTrue(CatchUp.caughtUp(Map.of(0, 3L, 1, 5L), Map.of(0, 2L, 1, 4L)));
    assertEquals(0, CatchUp.lag(Map.of(0, 3L, 1, 5L), Map.of(0, 2L, 1, 4L)));
  }

  @Test
  void when_emptyPartitionsHaveNoOffset_then_theyNeedNone() {
    assertTrue(CatchUp.caughtUp(Map.of(0, 0L, 1, 2L), Map.of(1, 1L)));
  }

  @Test
  void when_aPartitionIsBehindOrHasNoOffsetYet_then_itHasNotCaughtUp() {
    assertFalse(CatchUp.caughtUp(Map.of(0, 3L, 1, 5L), Map.of(0, 2L, 1, 3L)), "partition 1 lacks offset 4");
    assertFalse(CatchUp.caughtUp(Map.of(0, 3L), Map.of()), "nothing handled after a reset");
    assertEquals(3 + 2, CatchUp.lag(Map.of(0, 3L, 1, 5L), Map.of(1, 2L)));
  }
}
