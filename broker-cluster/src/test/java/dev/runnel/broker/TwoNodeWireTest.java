package dev.runnel.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.group.OffsetCommitRequest;
import dev.runnel.broker.group.OffsetFetchResult;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.ClusterNodes;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes in one cluster, both with {@code serialize-messages} on: partitions, group coordinators and the
 * singletons hosted on one node are served through the other, over Artery, with the registered serializers; record
 * batches larger than Artery's ordinary 256 KiB frame cross in both directions. Both share a PostgreSQL database
 * of their own on the test server, as a real cluster does (an embedded node refuses to join others).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TwoNodeWireTest {

  private static final Map<String, Object> SERIALIZE = Map.of(
      "pekko.actor.serialize-messages", "on",
      "pekko.actor.serialize-creators", "off");

  private String database;
  private RunnelNode first;
  private RunnelNode second;

  @BeforeEach
  void start() throws Exception {
    database = ClusterNodes.createDatabase();
    Map<String, Object> shared = new java.util.HashMap<>(SERIALIZE);
    shared.put("runnel.persistence.profile", "postgres");
    shared.put("runnel.persistence.postgres.url", ClusterNodes.databaseUrl(database));
    first = TestNodes.start(TestNodes.newDataDir(), shared);
    String seed = Cluster.get(first.system()).selfMember().address().toString();
    Map<String, Object> joining = new java.util.HashMap<>(shared);
    joining.put("pekko.cluster.seed-nodes", List.of(seed));
    second = TestNodes.start(TestNodes.newDataDir(), joining);
    await().atMost(Duration.ofSeconds(60)).until(() -> upMembers(first) == 2 && upMembers(second) == 2);
  }

  @AfterEach
  void stop() throws Exception {
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
    ClusterNodes.dropDatabase(database);
  }

  private static long upMembers(RunnelNode node) {
    return java.util.stream.StreamSupport.stream(
            Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .filter(member -> member.status() == MemberStatus.up())
        .count();
  }

  /** One batch of one record of {@code size} bytes. */
  private static ByteBuffer bigBatch(int size, byte fill) {
    byte[] value = new byte[size];
    java.util.Arrays.fill(value, fill);
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(size + 256), RecordBatch.MAGIC_VALUE_V2,
        Compression.NONE, TimestampType.CREATE_TIME, 0);
    builder.append(1_700_000_000_000L, null, value);
    return builder.build().buffer();
  }

  @Test
  void when_partitionsGroupsAndSingletonsAreSpreadOverTwoNodes_then_eachNodeServesThemAll() throws Exception {
    // The registry singleton runs on the oldest node; the topic is created through the other.
    LogProbe.await(second.broker().createTopic("spread", 8, Map.of()));
    await().atMost(Duration.ofSeconds(30)).until(() -> first.broker().topic("spread").isPresent());
    List<PartitionId> partitions = Broker.partitions(first.broker().topic("spread").orElseThrow());

    for (PartitionId partition : partitions) {
      ByteBuffer batch = bigBatch(600 * 1024, (byte) partition.partition());
      AppendResult stored = LogProbe.await(first.broker().append(partition, batch, (short) -1));
      assertEquals(Errors.NONE, stored.error(), "append to " + partition + ": " + stored.errorMessage());
      assertEquals(0, stored.baseOffset(), "offset in " + partition);
    }
    Set<String> hosts = new HashSet<>();
    for (RunnelNode node : List.of(first, second)) {
      ShardRegion.ClusterShardingStats stats = AskPattern.<ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
              ClusterSharding.get(node.system()).shardState(),
              replyTo -> new GetClusterShardingStats(Partition.ENTITY_KEY, Duration.ofSeconds(10), replyTo),
              Duration.ofSeconds(15), node.system().scheduler())
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      stats.getRegions().forEach((address, region) -> {
        if (!region.getStats().isEmpty()) {
          hosts.add(address.toString());
        }
      });
    }
    assertEquals(2, hosts.size(), "partitions on both nodes: " + hosts);

    for (PartitionId partition : partitions) {
      FetchResult read = LogProbe.await(second.broker().fetch(partition, 0, 1024 * 1024, Duration.ZERO));
      assertEquals(Errors.NONE, read.error(), "fetch of " + partition);
      ByteBuffer expected = bigBatch(600 * 1024, (byte) partition.partition());
      assertEquals(expected.remaining(), read.records().remaining(), "batch bytes of " + partition);
      assertEquals(1, LogProbe.await(second.broker().status(partition)).logEndOffset());
    }

    // Group coordinators spread over both nodes, each reached through both.
    List<TopicPartition> asked = List.of(new TopicPartition("spread", 0));
    for (int g = 0; g < 6; g++) {
      String group = "group-" + g;
      PartitionErrors committed = LogProbe.await(second.groups().commitOffsets(group, new OffsetCommitRequest(
          "", null, -1, Map.of(asked.get(0), new OffsetCommitRequest.Offset(1, -1, "m")))));
      assertEquals(Errors.NONE, committed.partitions().get(asked.get(0)), "commit of " + group);
      OffsetFetchResult fetched = LogProbe.await(first.groups().fetchOffsets(group, asked));
      assertEquals(1, fetched.offsets().get(asked.get(0)).offset(), "committed offset of " + group);
    }

    List<Long> ids = new ArrayList<>();
    for (RunnelNode node : List.of(first, second)) {
      ids.add(LogProbe.await(node.broker().allocateProducerId()));
    }
    assertTrue(!ids.get(0).equals(ids.get(1)), "distinct producer ids " + ids);

    LogProbe.await(second.broker().deleteTopic("spread"));
    for (PartitionId partition : partitions) {
      await().atMost(Duration.ofSeconds(30)).until(() -> LogProbe.await(first.broker().fetch(partition, 0, 1024,
          Duration.ZERO)).error() == Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }
  }
}
