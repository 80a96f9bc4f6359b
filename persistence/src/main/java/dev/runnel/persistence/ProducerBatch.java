package dev.runnel.persistence;

/**
 * What the log remembers of one batch an idempotent producer wrote: enough to recognise a retry of it and answer
 * with the offset it was first stored at.
 */
public record ProducerBatch(int firstSequence, int lastSequence, long lastOffset, long maxTimestamp) {

  public long baseOffset() {
    return lastOffset - (lastSequence - firstSequence);
  }
}
