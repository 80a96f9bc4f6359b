package dev.runnel.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.persistence.PartitionEvent.PartitionDeleted;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import java.io.NotSerializableException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PartitionStateTest {

  private final PartitionSerializer serializer = new PartitionSerializer();

  @Test
  void when_recordsAreAppended_then_offsetsIndexSizeAndProducersFollow() {
    byte[] first = Batches.batch(0, 1000, "a", "b", "c");
    byte[] second = Batches.batch(3, 2000, 42L, (short) 1, 0, "d", "e");
    PartitionState state = PartitionState.EMPTY
        .apply(new RecordsAppended(0, 2, first))
        .apply(new RecordsAppended(3, 4, second));

    assertEquals(2, state.lastSequenceNr());
    assertEquals(0, state.logStartOffset());
    assertEquals(5, state.logEndOffset());
    assertEquals(first.length + second.length, state.sizeInBytes());
    assertEquals(new IndexEntry(3, 4, 2, second.length, 2000), state.index().get(1));
    ProducerStateEntry producer = state.producer(42L).orElseThrow();
    assertEquals(1, producer.epoch());
    assertEquals(1, producer.lastSequence());
    assertEquals(List.of(new ProducerBatch(0, 1, 4, 2000)), producer.recentBatches());
  }

  @Test
  void when_transactionsOpenAndEnd_then_theLastStableOffsetAndTheAbortedIndexFollow() throws Exception {
    PartitionState state = PartitionState.EMPTY
        .apply(new RecordsAppended(0, 1, Batches.batch(0, 1, "a", "b")));
    assertEquals(2, state.lastStableOffset(), "no transaction: the high watermark");
    state = state
        .apply(new RecordsAppended(2, 3, Batches.transactional(2, 5L, (short) 0, 0, "t1", "t2")))
        .apply(new RecordsAppended(4, 4, Batches.transactional(4, 6L, (short) 3, 0, "u1")))
        .apply(new RecordsAppended(5, 5, Batches.transactional(5, 5L, (short) 0, 2, "t3")));
    assertEquals(Map.of(5L, 2L, 6L, 4L), state.ongoingTxns());
    assertEquals(2, state.lastStableOffset(), "the first offset of the earliest open transaction");
    assertEquals(2, state.producer(5L).orElseThrow().lastSequence());

    state = state.apply(new RecordsAppended(6, 6, Batches.marker(6, 5L, (short) 0, false)));
    assertEquals(4, state.lastStableOffset(), "producer 6's transaction is still open");
    assertEquals(List.of(new AbortedTxn(5, 2, 6)), state.abortedTxns());
    assertEquals(2, state.producer(5L).orElseThrow().lastSequence(), "a marker of the same epoch keeps sequences");

    state = state.apply(new RecordsAppended(7, 7, Batches.marker(7, 6L, (short) 4, true)));
    assertEquals(8, state.lastStableOffset());
    assertEquals(Map.of(), state.ongoingTxns());
    assertEquals(List.of(new AbortedTxn(5, 2, 6)), state.abortedTxns(), "a commit is not indexed");
    assertEquals(4, state.producer(6L).orElseThrow().epoch(), "a marker's higher epoch is the producer's now");
    assertEquals(-1, state.producer(6L).orElseThrow().lastSequence(), "and the new epoch starts at sequence 0");

    // A marker for a producer with nothing open changes no transaction.
    state = state.apply(new RecordsAppended(8, 8, Batches.marker(8, 5L, (short) 0, false)));
    assertEquals(List.of(new AbortedTxn(5, 2, 6)), state.abortedTxns());
    assertEquals(List.of(new AbortedTxn(5, 2, 6)), state.abortedTxns(0, 3));
    assertEquals(List.of(), state.abortedTxns(7, 9), "the range after the marker");

    assertEquals(state, serializer.fromBinary(serializer.toBinary(state), serializer.manifest(state)));
    PartitionState trimmed = state.apply(new PartitionEvent.LogStartOffsetAdvanced(7));
    assertEquals(List.of(), trimmed.abortedTxns(), "wholly below the log start");
  }

  @Test
  void when_anEventDoesNotContinueTheLog_then_applyRefusesIt() {
    PartitionState state = PartitionState.EMPTY.apply(new RecordsAppended(0, 0, Batches.batch(0, 1, "a")));
    assertThrows(IllegalStateException.class, () -> state.apply(new RecordsAppended(5, 5, Batches.batch(5, 1, "x"))));
  }

  @Test
  void when_thePartitionIsDeleted_then_itHoldsNothing() {
    PartitionState state = PartitionState.EMPTY
        .apply(new RecordsAppended(0, 1, Batches.batch(0, 1, "a", "b")))
        .apply(new PartitionDeleted());
    assertTrue(state.deleted());
    assertEquals(0, state.sizeInBytes());
    assertEquals(2, state.logStartOffset());
    assertEquals(2, state.lastSequenceNr());
  }

  @Test
  void when_eventsAndStateAreSerialized_then_theyRoundTrip() throws NotSerializableException {
    RecordsAppended appended = new RecordsAppended(0, 1, Batches.batch(0, 7, 9L, (short) 0, 0, "x", "y"));
    PartitionState state = PartitionState.EMPTY.apply(appended);
    for (Object value : List.of(appended, new PartitionDeleted(), state)) {
      byte[] bytes = serializer.toBinary(value);
      assertEquals(value, serializer.fromBinary(bytes, serializer.manifest(value)), "round trip of " + value);
    }
  }

  @Test
  void when_aRecordsEventIsSerialized_then_theBatchBytesAreStoredVerbatim() {
    byte[] batch = Batches.batch(0, 7, "payload");
    byte[] bytes = serializer.toBinary(new RecordsAppended(0, 0, batch));
    byte[] tail = java.util.Arrays.copyOfRange(bytes, bytes.length - batch.length, bytes.length);
    assertEquals(java.util.Arrays.toString(batch), java.util.Arrays.toString(tail));
  }

  @Test
  void when_anUnknownManifestOrCorruptSnapshotArrives_then_deserializationFailsClearly() {
    assertThrows(NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "Z9"));
    assertThrows(NotSerializableException.class,
        () -> serializer.fromBinary(new byte[] {1, 2, 3}, PartitionSerializer.PARTITION_STATE));
  }
}
