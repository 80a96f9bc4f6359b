package dev.runnel.client.internal;

import dev.runnel.client.ConsumerGroupMetadata;
import dev.runnel.client.PartitionOffset;
import dev.runnel.client.ProducerMessage;
import dev.runnel.client.ProducerRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one transaction of the transactional flow holds, derived from its messages alone: the records to produce,
 * in the order they came, and per consumer group the offsets to commit (the next offset to read of each partition)
 * under the group member the newest of its messages was consumed by.
 */
record TxnBatch(List<ProducerRecord> records, Map<String, GroupOffsets> offsets) {

  /** A group's offsets in the transaction, to commit under {@code member}. */
  record GroupOffsets(ConsumerGroupMetadata member, Map<Protocol.TopicPartition, Long> nextOffsets) {}

  TxnBatch {
    records = List.copyOf(records);
    offsets = Map.copyOf(offsets);
  }

  static TxnBatch of(List<ProducerMessage> messages) {
    List<ProducerRecord> records = new ArrayList<>();
    Map<String, ConsumerGroupMetadata> members = new LinkedHashMap<>();
    Map<String, Map<Protocol.TopicPartition, Long>> next = new LinkedHashMap<>();
    for (ProducerMessage message : messages) {
      records.addAll(message.records());
      PartitionOffset consumed = message.passThrough();
      String groupId = consumed.group().groupId();
      members.put(groupId, consumed.group());
      next.computeIfAbsent(groupId, g -> new LinkedHashMap<>())
          .merge(new Protocol.TopicPartition(consumed.topic(), consumed.partition()), consumed.offset() + 1,
              Math::max);
    }
    Map<String, GroupOffsets> offsets = new LinkedHashMap<>();
    members.forEach((groupId, member) -> offsets.put(groupId, new GroupOffsets(member, next.get(groupId))));
    return new TxnBatch(records, offsets);
  }
}
