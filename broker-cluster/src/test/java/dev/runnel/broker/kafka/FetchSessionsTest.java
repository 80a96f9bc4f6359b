package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FetchMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The session cache's slots and eviction, on a clock the test moves. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FetchSessionsTest {

  private static final Duration EVICTION = Duration.ofSeconds(120);

  private final AtomicLong now = new AtomicLong();
  private final FetchSessions sessions = new FetchSessions(2, EVICTION, now::get);

  @Test
  void when_slotsAreFull_then_aNewSessionEvictsOnlyOneIdleForTheEvictionTime() {
    int first = open();
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    int second = open();
    assertEquals(FetchMetadata.INVALID_SESSION_ID, open(), "no slot free, none idle long enough: no session");

    now.addAndGet(EVICTION.toNanos());
    assertEquals(Errors.NONE, sessions.open(incremental(second, 1)).error(), "the second is used again");
    int third = open();
    assertNotEquals(FetchMetadata.INVALID_SESSION_ID, third, "the least recently used, idle long enough, goes");
    assertEquals(Errors.FETCH_SESSION_ID_NOT_FOUND, sessions.open(incremental(first, 1)).error());
    assertEquals(Errors.NONE, sessions.open(incremental(second, 2)).error());
    assertEquals(2, sessions.size());
  }

  @Test
  void when_slotsAreZero_then_fetchesGoWithoutSessions() {
    FetchSessions none = new FetchSessions(0, EVICTION, now::get);
    FetchSessions.Context context = none.open(full());
    assertEquals(FetchMetadata.INVALID_SESSION_ID, context.respond(new FetchResponseData()).sessionId());
    assertEquals(0, none.size());
  }

  @Test
  void when_fullFetchNamesItsOldSession_then_theOldOneIsClosedAndANewOneOpened() {
    int first = open();
    FetchRequestData again = full().setSessionId(first);
    int second = sessions.open(again).respond(new FetchResponseData()).sessionId();
    assertNotEquals(first, second);
    assertEquals(Errors.FETCH_SESSION_ID_NOT_FOUND, sessions.open(incremental(first, 1)).error());
    assertEquals(1, sessions.size());
  }

  private int open() {
    return sessions.open(full()).respond(new FetchResponseData()).sessionId();
  }

  private static FetchRequestData full() {
    FetchTopic topic = new FetchTopic().setTopic("t");
    topic.partitions().add(new FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1024));
    return new FetchRequestData().setSessionId(FetchMetadata.INVALID_SESSION_ID)
        .setSessionEpoch(FetchMetadata.INITIAL_EPOCH).setTopics(List.of(topic));
  }

  private static FetchRequestData incremental(int session, int epoch) {
    return new FetchRequestData().setSessionId(session).setSessionEpoch(epoch);
  }
}
