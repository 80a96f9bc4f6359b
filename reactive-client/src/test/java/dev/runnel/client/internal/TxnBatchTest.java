package dev.runnel.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.client.ConsumerGroupMetadata;
import dev.runnel.client.PartitionOffset;
import dev.runnel.client.ProducerMessage;
import dev.runnel.client.ProducerRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TxnBatchTest {

  private static ProducerRecord record(String value) {
    return ProducerRecord.of("out", value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void when_messagesOfSeveralPartitionsAndGenerations_then_eachPartitionCommitsItsNextOffsetUnderTheNewestMember() {
    ConsumerGroupMetadata gen4 = new ConsumerGroupMetadata("g", "m-1", 4);
    ConsumerGroupMetadata gen5 = new ConsumerGroupMetadata("g", "m-1", 5);
    ConsumerGroupMetadata other = new ConsumerGroupMetadata("h", "m-9", 1);
    TxnBatch batch = TxnBatch.of(List.of(
        ProducerMessage.single(record("a"), new PartitionOffset(gen4, "in", 0, 10)),
        ProducerMessage.multi(List.of(record("b"), record("c")), new PartitionOffset(gen4, "in", 1, 3)),
        ProducerMessage.passThrough(new PartitionOffset(gen5, "in", 0, 11)),
        ProducerMessage.single(record("d"), new PartitionOffset(other, "in", 0, 99))));
    assertEquals(List.of("a", "b", "c", "d"), batch.records().stream()
        .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList(), "records in the order they came");
    assertEquals(new TxnBatch.GroupOffsets(gen5, Map.of(new Protocol.TopicPartition("in", 0), 12L,
        new Protocol.TopicPartition("in", 1), 4L)), batch.offsets().get("g"),
        "the next offset of each partition, under the newest generation seen");
    assertEquals(new TxnBatch.GroupOffsets(other, Map.of(new Protocol.TopicPartition("in", 0), 100L)),
        batch.offsets().get("h"), "each group commits its own offsets");
  }

  @Test
  void when_theCoordinatorIsBusyOrMoving_then_theRequestIsRetriedAndFencingIsNot() {
    assertTrue(TransactionalProducer.isRetriable(Errors.CONCURRENT_TRANSACTIONS));
    assertTrue(TransactionalProducer.isRetriable(Errors.COORDINATOR_NOT_AVAILABLE));
    assertTrue(TransactionalProducer.isRetriable(Errors.NOT_COORDINATOR));
    assertFalse(TransactionalProducer.isRetriable(Errors.PRODUCER_FENCED));
    assertFalse(TransactionalProducer.isRetriable(Errors.INVALID_PRODUCER_EPOCH));
    assertFalse(TransactionalProducer.isRetriable(Errors.ILLEGAL_GENERATION));
  }
}
