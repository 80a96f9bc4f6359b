package dev.runnel.broker.metrics;

import dev.runnel.broker.Broker;
import dev.runnel.broker.cluster.ClusterView;
import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupDescription;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.group.PartitionLag;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.partition.PartitionStatus;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.MultiGauge.Row;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.sharding.ShardRegion.ShardState;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads, when {@code /metrics} is scraped, what is state rather than traffic: the offsets and sizes of the
 * partitions hosted on this node, the lag, members and generation of the groups whose coordinator this node hosts,
 * the members of the cluster and this node's shards. A partition or group that does not answer within the collect
 * timeout is left out of that scrape rather than holding it up.
 */
public final class ScrapeCollector {

  private static final Logger log = LoggerFactory.getLogger(ScrapeCollector.class);

  private final ActorSystem<?> system;
  private final Broker broker;
  private final Groups groups;
  private final ClusterView cluster;
  private final Duration timeout;
  private final MultiGauge logStartOffset;
  private final MultiGauge logEndOffset;
  private final MultiGauge size;
  private final MultiGauge lag;
  private final MultiGauge lagSum;
  private final MultiGauge members;
  private final MultiGauge generation;
  private final MultiGauge clusterMembers;
  private final MultiGauge shards;
  private final MultiGauge entities;

  public ScrapeCollector(ActorSystem<?> system, Broker broker, Groups groups, Duration timeout) {
    this.system = system;
    this.broker = broker;
    this.groups = groups;
    this.cluster = ClusterView.get(system);
    this.timeout = timeout;
    var registry = RunnelMetrics.get(system).registry();
    logStartOffset = MultiGauge.builder("runnel.partition.log.start.offset")
        .description("First offset a fetch can read, of the partitions hosted here").register(registry);
    logEndOffset = MultiGauge.builder("runnel.partition.log.end.offset")
        .description("Offset the next record gets (the high watermark), of the partitions hosted here")
        .register(registry);
    size = MultiGauge.builder("runnel.partition.size").baseUnit(BaseUnits.BYTES)
        .description("Record batch bytes held, of the partitions hosted here").register(registry);
    lag = MultiGauge.builder("runnel.consumer.group.lag")
        .description("Records between a group's committed offset and the log end (groups coordinated here)")
        .register(registry);
    lagSum = MultiGauge.builder("runnel.consumer.group.lag.sum")
        .description("A group's lag summed over its partitions (groups coordinated here)").register(registry);
    members = MultiGauge.builder("runnel.consumer.group.members")
        .description("Members of a group (groups coordinated here)").register(registry);
    generation = MultiGauge.builder("runnel.consumer.group.generation")
        .description("A group's generation: the rebalances it completed (groups coordinated here)")
        .register(registry);
    clusterMembers = MultiGauge.builder("runnel.cluster.members")
        .description("Cluster members as this node sees them, by status and reachability").register(registry);
    shards = MultiGauge.builder("runnel.cluster.shards")
        .description("Shards hosted on this node, by entity type").register(registry);
    entities = MultiGauge.builder("runnel.cluster.entities")
        .description("Running entities on this node, by entity type").register(registry);
  }

  /** Refreshes the gauges; completes once every answer is in or the collect timeout passed. Never fails. */
  public CompletionStage<Void> collect() {
    collectMembers();
    CompletableFuture<Void> partitions = logged("partitions", regionState(Partition.ENTITY_KEY)
        .thenCompose(state -> {
          recordShards("partition", state);
          return collectPartitions(state);
        }));
    CompletableFuture<Void> groupState = logged("group shards", regionState(GroupCoordinator.ENTITY_KEY)
        .thenAccept(state -> recordShards("group", state)));
    CompletableFuture<Void> lags = logged("groups", collectGroups());
    return CompletableFuture.allOf(partitions, groupState, lags)
        .completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(failure -> null);
  }

  private static CompletableFuture<Void> logged(String what, CompletionStage<Void> collecting) {
    return collecting.toCompletableFuture().whenComplete((done, failure) -> {
      if (failure != null) {
        log.warn("metrics: reading the {} for a scrape failed: {}", what, failure.toString());
      }
    });
  }

  private void collectMembers() {
    Map<Tags, Long> counts = cluster.members().stream().collect(Collectors.groupingBy(
        member -> Tags.of("status", member.status(), "reachable", Boolean.toString(member.reachable())),
        Collectors.counting()));
    clusterMembers.register(counts.entrySet().stream()
        .map(entry -> Row.of(entry.getKey(), entry.getValue()))
        .collect(Collectors.toList()), true);
  }

  private CompletionStage<CurrentShardRegionState> regionState(EntityTypeKey<?> key) {
    return AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, CurrentShardRegionState>ask(
        ClusterSharding.get(system).shardState(), replyTo -> new GetShardRegionState(key, replyTo), timeout,
        system.scheduler());
  }

  private void recordShards(String type, CurrentShardRegionState state) {
    Tags tags = Tags.of("entity", type);
    long running = state.getShards().stream().mapToLong(shard -> shard.getEntityIds().size()).sum();
    shards.register(List.of(Row.of(tags, state.getShards().size())), true);
    entities.register(List.of(Row.of(tags, running)), true);
  }

  private CompletionStage<Void> collectPartitions(CurrentShardRegionState state) {
    List<CompletableFuture<Optional<Row<?>[]>>> reads = new ArrayList<>();
    for (ShardState shard : state.getShards()) {
      for (String entityId : shard.getEntityIds()) {
        PartitionId id = PartitionId.fromEntityId(entityId);
        Tags tags = Tags.of("topic", id.topic(), "partition", Integer.toString(id.partition()));
        reads.add(broker.status(id).toCompletableFuture()
            .completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS)
            .handle((status, failure) -> failure != null || status == null
                ? Optional.<Row<?>[]>empty() : Optional.of(rows(tags, status))));
      }
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenRun(() -> {
      List<Row<?>> starts = new ArrayList<>();
      List<Row<?>> ends = new ArrayList<>();
      List<Row<?>> sizes = new ArrayList<>();
      for (CompletableFuture<Optional<Row<?>[]>> read : reads) {
        read.join().ifPresent(rows -> {
          starts.add(rows[0]);
          ends.add(rows[1]);
          sizes.add(rows[2]);
        });
      }
      logStartOffset.register(starts, true);
      logEndOffset.register(ends, true);
      size.register(sizes, true);
    });
  }

  private static Row<?>[] rows(Tags tags, PartitionStatus status) {
    return new Row<?>[] {
        Row.of(tags, status.logStartOffset()), Row.of(tags, status.logEndOffset()), Row.of(tags, status.sizeInBytes())};
  }

  private record GroupFigures(GroupDescription group, List<PartitionLag> lags) {}

  private CompletionStage<Void> collectGroups() {
    return groups.groupIds().thenCompose(ids -> {
      List<CompletableFuture<Optional<GroupFigures>>> reads = new ArrayList<>();
      for (String groupId : ids) {
        if (cluster.hostsGroupCoordinator(groupId)) {
          reads.add(groups.describe(groupId)
              .thenCombine(groups.lag(groupId), GroupFigures::new)
              .toCompletableFuture()
              .completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS)
              .handle((figures, failure) -> Optional.ofNullable(failure == null ? figures : null)));
        }
      }
      return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenRun(() -> {
        List<Row<?>> lagRows = new ArrayList<>();
        List<Row<?>> sums = new ArrayList<>();
        List<Row<?>> memberRows = new ArrayList<>();
        List<Row<?>> generations = new ArrayList<>();
        for (CompletableFuture<Optional<GroupFigures>> read : reads) {
          read.join().ifPresent(figures -> {
            String groupId = figures.group().groupId();
            Tags group = Tags.of("group", groupId);
            long sum = 0;
            for (PartitionLag partition : figures.lags()) {
              if (partition.lag() >= 0) {
                lagRows.add(Row.of(group.and("topic", partition.topic(),
                    "partition", Integer.toString(partition.partition())), partition.lag()));
                sum += partition.lag();
              }
            }
            sums.add(Row.of(group, sum));
            memberRows.add(Row.of(group, figures.group().members().size()));
            generations.add(Row.of(group, figures.group().generationId()));
          });
        }
        lag.register(lagRows, true);
        lagSum.register(sums, true);
        members.register(memberRows, true);
        generation.register(generations, true);
      });
    });
  }
}
