package dev.runnel.persistence;

import java.util.ArrayList;
import java.util.List;

/**
 * The idempotence state of one producer id on one partition: its current epoch and the metadata of its most recent
 * batches (Kafka keeps five, matching {@code max.in.flight.requests.per.connection} of an idempotent producer).
 *
 * @param coordinatorEpoch Kafka's {@code coordinatorEpoch} of the producer's last transaction marker here, -1 before
 *     its first: a marker from an older coordinator epoch is refused (TRANSACTION_COORDINATOR_FENCED)
 */
public record ProducerStateEntry(long producerId, short epoch, List<ProducerBatch> recentBatches, long lastTimestamp,
    int coordinatorEpoch) {

  /** Before the producer's first transaction marker on the partition. */
  public static final int NO_COORDINATOR_EPOCH = -1;

  public static final int RETAINED_BATCHES = 5;

  public ProducerStateEntry {
    recentBatches = List.copyOf(recentBatches);
  }

  public int lastSequence() {
    return recentBatches.isEmpty() ? -1 : recentBatches.get(recentBatches.size() - 1).lastSequence();
  }

  /** The batch with exactly these sequence numbers, if this producer wrote it recently. */
  public ProducerBatch findDuplicate(int firstSequence, int lastSequence) {
    for (ProducerBatch batch : recentBatches) {
      if (batch.firstSequence() == firstSequence && batch.lastSequence() == lastSequence) {
        return batch;
      }
    }
    return null;
  }

  /** This entry after {@code batch} was written with {@code batchEpoch}; a new epoch forgets the old batches. */
  public ProducerStateEntry withBatch(short batchEpoch, ProducerBatch batch) {
    List<ProducerBatch> batches = new ArrayList<>(RETAINED_BATCHES);
    if (batchEpoch == epoch) {
      int from = Math.max(0, recentBatches.size() - (RETAINED_BATCHES - 1));
      batches.addAll(recentBatches.subList(from, recentBatches.size()));
    }
    batches.add(batch);
    return new ProducerStateEntry(producerId, batchEpoch, batches, batch.maxTimestamp(), coordinatorEpoch);
  }

  /**
   * This entry after a transaction marker of {@code markerEpoch} from coordinator epoch {@code markerCoordinatorEpoch},
   * which it remembers: a higher producer epoch (the coordinator bumped it, fencing the older one) replaces the
   * current one and forgets its batches, so the producer starts the new epoch at sequence 0; the same or an older
   * epoch keeps them.
   */
  public ProducerStateEntry withMarker(short markerEpoch, int markerCoordinatorEpoch) {
    return markerEpoch > epoch
        ? new ProducerStateEntry(producerId, markerEpoch, List.of(), lastTimestamp, markerCoordinatorEpoch)
        : new ProducerStateEntry(producerId, epoch, recentBatches, lastTimestamp, markerCoordinatorEpoch);
  }

  /** A producer the partition has not seen before, at {@code epoch}. */
  public static ProducerStateEntry first(long producerId, short epoch) {
    return new ProducerStateEntry(producerId, epoch, List.of(), -1, NO_COORDINATOR_EPOCH);
  }

  /** The sequence number that follows {@code sequence}; Kafka's sequence numbers wrap around to 0. */
  public static int nextSequence(int sequence) {
    return sequence == Integer.MAX_VALUE ? 0 : sequence + 1;
  }
}
