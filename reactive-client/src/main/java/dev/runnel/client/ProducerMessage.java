package dev.runnel.client;

import java.util.List;

/**
 * What {@link Transactional#flow} takes: the records to produce for one consumed record, and that record's offset
 * ({@code passThrough}), committed in the same transaction. Pekko Connectors Kafka's {@code ProducerMessage}
 * envelopes: one record, several, or none (the consumed record is only committed).
 */
public record ProducerMessage(List<ProducerRecord> records, PartitionOffset passThrough) {

  public ProducerMessage {
    records = List.copyOf(records);
    if (passThrough == null) {
      throw new IllegalArgumentException("a transactional message needs the offset it passes through");
    }
  }

  public static ProducerMessage single(ProducerRecord record, PartitionOffset passThrough) {
    return new ProducerMessage(List.of(record), passThrough);
  }

  public static ProducerMessage multi(List<ProducerRecord> records, PartitionOffset passThrough) {
    return new ProducerMessage(records, passThrough);
  }

  /** Produces nothing; the consumed record's offset is committed with the next transaction. */
  public static ProducerMessage passThrough(PartitionOffset passThrough) {
    return new ProducerMessage(List.of(), passThrough);
  }
}
