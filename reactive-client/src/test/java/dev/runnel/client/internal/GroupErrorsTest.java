package dev.runnel.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.client.internal.GroupErrors.Reaction;
import java.util.List;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class GroupErrorsTest {

  /** What a coordinator moving to a survivor, or a dropped connection, answers. */
  private static final List<Errors> FAILOVER = List.of(Errors.NOT_COORDINATOR, Errors.COORDINATOR_NOT_AVAILABLE,
      Errors.COORDINATOR_LOAD_IN_PROGRESS, Errors.REQUEST_TIMED_OUT, Errors.NETWORK_EXCEPTION,
      Errors.NOT_LEADER_OR_FOLLOWER);

  @Test
  void when_theCoordinatorMovesOrTheConnectionDrops_then_theMemberRetriesUntilTheDeadlineThenFails() {
    for (Errors error : FAILOVER) {
      assertTrue(GroupErrors.isRetriable(error), error + " is retriable");
      assertEquals(Reaction.RETRY, GroupErrors.reaction(error, true), error + " within the deadline");
      assertEquals(Reaction.FAIL, GroupErrors.reaction(error, false), error + " past the deadline");
    }
  }

  @Test
  void when_theGroupRebalancesOrForgotTheMember_then_itRejoinsWhateverTheDeadline() {
    for (boolean within : List.of(true, false)) {
      assertEquals(Reaction.REJOIN, GroupErrors.reaction(Errors.REBALANCE_IN_PROGRESS, within));
      assertEquals(Reaction.LOST_MEMBERSHIP, GroupErrors.reaction(Errors.UNKNOWN_MEMBER_ID, within));
      assertEquals(Reaction.LOST_MEMBERSHIP, GroupErrors.reaction(Errors.ILLEGAL_GENERATION, within));
      assertEquals(Reaction.LOST_MEMBERSHIP, GroupErrors.reaction(Errors.FENCED_INSTANCE_ID, within));
      assertEquals(Reaction.PROCEED, GroupErrors.reaction(Errors.NONE, within));
    }
  }

  @Test
  void when_retryingCannotHelp_then_theSourceFailsAtOnce() {
    for (Errors error : List.of(Errors.INVALID_GROUP_ID, Errors.GROUP_AUTHORIZATION_FAILED,
        Errors.INCONSISTENT_GROUP_PROTOCOL, Errors.INVALID_SESSION_TIMEOUT, Errors.UNKNOWN_SERVER_ERROR,
        Errors.OFFSET_OUT_OF_RANGE)) {
      assertFalse(GroupErrors.isRetriable(error), error + " is not retriable");
      assertEquals(Reaction.FAIL, GroupErrors.reaction(error, true), error.name());
    }
  }

  @Test
  void when_aRunOfErrorsOutlivesTheTimeout_then_itIsPastTheDeadline() {
    long second = 1_000_000_000L;
    assertTrue(GroupErrors.withinDeadline(5 * second, 6 * second, 2 * second));
    assertFalse(GroupErrors.withinDeadline(5 * second, 7 * second, 2 * second));
    assertFalse(GroupErrors.withinDeadline(5 * second, 5 * second, 0), "a zero timeout fails at the first error");
  }
}
