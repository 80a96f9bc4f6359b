package dev.runnel.broker.cluster;

import dev.runnel.broker.partition.Partition;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;

/**
 * Makes every partition its own shard (shard id = entity id). A shard is what sharding places and moves, so with
 * one partition per shard the shard coordinator places partitions one by one where {@link Placement} says, and
 * the leader every node computes is the node that hosts the partition. Pekko's default would hash partitions into
 * shared shards that move together.
 */
public final class PartitionShards extends ShardingMessageExtractor<ShardingEnvelope<Partition.Command>,
    Partition.Command> {

  /** The partition entities' type name, which {@link Placement} recognizes shards by. */
  public static final String ENTITY_TYPE = Partition.ENTITY_KEY.name();

  @Override
  public String entityId(ShardingEnvelope<Partition.Command> envelope) {
    return envelope.entityId();
  }

  @Override
  public String shardId(String entityId) {
    return entityId;
  }

  @Override
  public Partition.Command unwrapMessage(ShardingEnvelope<Partition.Command> envelope) {
    return envelope.message();
  }
}
