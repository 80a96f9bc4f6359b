package dev.runnel.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.persistence.PartitionEvent.PartitionDeleted;
import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import java.io.NotSerializableException;
import java.util.List;
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
