package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.persistence.KeyIndex;
import dev.runnel.persistence.PartitionState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The conditional append's decision, alone ({@link AppendCondition#check}) and inside a group commit. */
@Timeout(30)
class AppendConditionTest {

  private static final int MAX = 1_000_000;
  private static final byte[] USER_1 = bytes("user-1");
  private static final byte[] USER_2 = bytes("user-2");

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static ByteBuffer keyed(byte[] key, int count) {
    SimpleRecord[] records = new SimpleRecord[count];
    for (int i = 0; i < count; i++) {
      records[i] = new SimpleRecord(1000L + i, key, bytes("event-" + i));
    }
    return MemoryRecords.withRecords(Compression.NONE, records).buffer();
  }

  /** The state after appending {@code writes} as one group, with the outcome's results. */
  private record Group(PartitionState state, List<AppendResult> results) {}

  private static Group group(PartitionState state, LogAppender.Write... writes) {
    LogAppender.Outcome outcome = LogAppender.append(state, List.of(writes), MAX, RecordBatch.NO_TIMESTAMP);
    return new Group(outcome.event().map(state::apply).orElse(state), outcome.results());
  }

  private static LogAppender.Data data(ByteBuffer records, AppendCondition condition) {
    return new LogAppender.Data(records, condition);
  }

  @Test
  void when_theEndOffsetIsAsExpected_then_theConditionHolds() {
    assertEquals(Optional.empty(), AppendCondition.endOffset(7).check(7, KeyIndex.EMPTY));
  }

  @Test
  void when_theEndOffsetDiffers_then_theConflictCarriesTheCurrentOne() {
    AppendCondition.Conflict conflict = AppendCondition.endOffset(5).check(7, KeyIndex.EMPTY).orElseThrow();
    assertEquals(7, conflict.currentEndOffset());
    assertEquals(AppendCondition.ANY, conflict.currentVersion(), "no keyed part, no version reported");
    assertTrue(conflict.message().contains("end offset is 7, not 5"), conflict.message());
  }

  @Test
  void when_aStreamDoesNotExist_then_versionZeroHoldsAndKeyOffsetIsNoRecord() {
    assertEquals(Optional.empty(), AppendCondition.version(USER_1, 0).check(0, KeyIndex.EMPTY));
    assertEquals(Optional.empty(), new AppendCondition(AppendCondition.ANY, USER_1, AppendCondition.NO_RECORD,
        AppendCondition.ANY).check(3, KeyIndex.EMPTY));
    AppendCondition.Conflict conflict = AppendCondition.version(USER_1, 1).check(0, KeyIndex.EMPTY).orElseThrow();
    assertEquals(0, conflict.currentVersion());
    assertEquals(AppendCondition.NO_RECORD, conflict.currentKeyOffset());
  }

  @Test
  void when_aKeyIsUnknownToAFullIndex_then_aKeyedConditionIsRefusedNotGuessed() {
    assertThrows(InvalidRequestException.class, () -> AppendCondition.version(USER_1, 0).check(0, KeyIndex.UNKNOWN));
    assertEquals(Optional.empty(), AppendCondition.endOffset(0).check(0, KeyIndex.UNKNOWN),
        "an unkeyed condition needs no key index");
  }

  @Test
  void when_expectedVersionMatches_then_theAppendIsStoredAndTheVersionGrowsByItsRecords() {
    Group first = group(PartitionState.EMPTY, data(keyed(USER_1, 2), AppendCondition.version(USER_1, 0)));
    assertTrue(first.results().get(0).isStored());
    Group second = group(first.state(), data(keyed(USER_1, 1), AppendCondition.version(USER_1, 2)));
    assertTrue(second.results().get(0).isStored());
    assertEquals(3, second.state().keyIndex().entry(new KeyIndex.Key(USER_1)).orElseThrow().version());
  }

  @Test
  void when_expectedVersionIsStale_then_nothingIsStoredAndTheCurrentVersionAndOffsetAreReported() {
    PartitionState state = group(PartitionState.EMPTY, data(keyed(USER_1, 2), null)).state();
    Group refused = group(state, data(keyed(USER_1, 1), AppendCondition.version(USER_1, 1)));
    AppendResult result = refused.results().get(0);
    assertFalse(result.isStored());
    assertTrue(result.isConflict());
    assertEquals(Errors.INVALID_REQUEST, result.error());
    assertEquals(new AppendCondition.Conflict(2, 1, 2, result.conflict().message()), result.conflict());
    assertEquals(state, refused.state(), "a refused append changes nothing");
  }

  @Test
  void when_twoWritersExpectTheSameVersionInOneGroup_then_onlyTheFirstIsStored() {
    Group group = group(PartitionState.EMPTY,
        data(keyed(USER_1, 1), AppendCondition.version(USER_1, 0)),
        data(keyed(USER_2, 1), AppendCondition.version(USER_2, 0)),
        data(keyed(USER_1, 1), AppendCondition.version(USER_1, 0)));
    assertTrue(group.results().get(0).isStored());
    assertTrue(group.results().get(1).isStored(), "another stream is independent");
    assertTrue(group.results().get(2).isConflict(), "the batch's first append moved user-1 to version 1");
    assertEquals(1, group.results().get(2).conflict().currentVersion());
    assertEquals(0, group.results().get(2).conflict().currentKeyOffset());
    assertEquals(2, group.state().logEndOffset());
  }

  @Test
  void when_appendsInOneGroupChainTheirExpectations_then_allAreStored() {
    Group group = group(PartitionState.EMPTY,
        data(keyed(USER_1, 2), AppendCondition.endOffset(0)),
        data(keyed(USER_2, 1), AppendCondition.endOffset(2)),
        data(keyed(USER_1, 1), new AppendCondition(3, USER_1, 1, 2)));
    for (AppendResult result : group.results()) {
      assertTrue(result.isStored(), result.toString());
    }
    assertEquals(List.of(0L, 2L, 3L), group.results().stream().map(AppendResult::baseOffset).toList());
  }

  @Test
  void when_anAppendOfTheGroupIsRefused_then_theNextIsCheckedAgainstTheLogWithoutIt() {
    Group group = group(PartitionState.EMPTY,
        data(keyed(USER_1, 1), AppendCondition.endOffset(4)),
        data(keyed(USER_1, 1), AppendCondition.endOffset(0)));
    assertTrue(group.results().get(0).isConflict());
    assertEquals(0, group.results().get(1).baseOffset());
  }

  @Test
  void when_aKeyedConditionAppearsInAGroupWithAMarker_then_offsetsStillLineUp() {
    ByteBuffer txn = MemoryRecords.withTransactionalRecords(Compression.NONE, 9L, (short) 0, 0,
        new SimpleRecord(1L, USER_2, bytes("t"))).buffer();
    PartitionState state = group(PartitionState.EMPTY, new LogAppender.Data(txn)).state();
    Group group = group(state,
        new LogAppender.Marker(9L, (short) 0, 0, true, 5L),
        data(keyed(USER_1, 1), new AppendCondition(2, USER_1, AppendCondition.NO_RECORD, 0)),
        data(keyed(USER_1, 1), new AppendCondition(3, USER_1, 2, 1)));
    assertTrue(group.results().get(1).isStored(), group.results().toString());
    assertTrue(group.results().get(2).isStored(), group.results().toString());
  }
}
