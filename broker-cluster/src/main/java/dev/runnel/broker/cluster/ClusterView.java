package dev.runnel.broker.cluster;

import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.transaction.TransactionCoordinator;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * This node's view of the cluster, for the protocol doors: the members, the brokers clients may connect to, and
 * the leader of each partition and the coordinator of each group and transactional id, all computed locally with {@link Placement}
 * from the live members (Up and reachable), the same function the shard coordinator places shards with. During a
 * membership change the view may name the new owner a moment before the shard moved; a request that reaches any
 * node is served through sharding, so such a moment costs a hop, not an error.
 *
 * <p>{@link ClusterMonitor} replaces the snapshot on every membership, reachability or endpoint change. Reachable
 * from the actor system ({@code ClusterView.get(system)}); thread-safe.
 */
public final class ClusterView implements Extension {

  /** The cluster as last seen: members sorted by address, and the oldest live member (the singletons' host). */
  record Snapshot(Address self, List<ClusterMember> members, Optional<Address> oldest) {}

  private static final ExtensionId<ClusterView> ID = new ExtensionId<>() {
    @Override
    public ClusterView createExtension(ActorSystem<?> system) {
      ClusterView view = new ClusterView(Cluster.get(system).selfMember().address(),
          system.settings().config().getInt("pekko.cluster.sharding.number-of-shards"));
      // Before the shard regions hand their shards off: a request sent to a region then is buffered until its shard
      // has a new home, which a stopping region never gets, so the region (and the node's stop) would wait out the
      // whole shutdown phase, and the client its request timeout.
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "refuse-requests",
          () -> {
            view.stopping = true;
            return CompletableFuture.completedFuture(Done.getInstance());
          });
      return view;
    }
  };

  /** Pekko's default shard of an entity id, which group and transaction coordinators are sharded by. */
  private final HashCodeMessageExtractor<GroupCoordinator.Command> groupShards;
  private final AtomicReference<Snapshot> snapshot;
  private volatile long membershipChangedAt = System.nanoTime();
  private volatile boolean stopping;
  /** What answers each unanswered request to another node if a member is lost before it answers. */
  private final Set<Runnable> crossNodeRequests = ConcurrentHashMap.newKeySet();

  ClusterView(Address self, int groupShardCount) {
    this.groupShards = new HashCodeMessageExtractor<>(groupShardCount);
    this.snapshot = new AtomicReference<>(new Snapshot(self, List.of(), Optional.empty()));
  }

  public static ClusterView get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  void update(Snapshot next) {
    Snapshot previous = snapshot.getAndSet(next);
    if (!membership(previous).equals(membership(next))) {
      membershipChangedAt = System.nanoTime();
    }
    if (memberLost(previous.members(), next.members())) {
      for (Runnable lost : crossNodeRequests) {
        if (crossNodeRequests.remove(lost)) {
          lost.run();
        }
      }
    }
  }

  /**
   * Whether a member that was reachable became unreachable, or one that was unreachable left the membership: the
   * moments a request sent to it is known to be lost (before: sent to a node that died; between the two: sent to
   * its region's last known home, where sharding's messages go until the removal).
   */
  static boolean memberLost(List<ClusterMember> before, List<ClusterMember> after) {
    for (ClusterMember was : before) {
      Optional<ClusterMember> now = after.stream().filter(m -> m.address().equals(was.address())).findFirst();
      if (now.isEmpty() ? !was.reachable() || !was.status().equals("Up") : was.reachable() && !now.get().reachable()) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code request}, a request that crosses nodes (to a partition or coordinator another node may host), answered
   * with {@code lost} instead if a member is lost (see {@link #memberLost}) before it is answered. Sharding gives no
   * word when the node a message went to dies, and its asker would wait out its whole timeout; answering a
   * retriable error at once lets the client retry where the partition recovers. Requests to a member that lives on
   * are answered so too, once per death: retried, an idempotent producer's batch is deduplicated.
   */
  public <T> CompletionStage<T> unlessMemberLost(CompletionStage<T> request, Supplier<T> lost) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    Runnable onLoss = () -> answer.complete(lost.get());
    crossNodeRequests.add(onLoss);
    request.whenComplete((value, failure) -> {
      crossNodeRequests.remove(onLoss);
      if (failure != null) {
        answer.completeExceptionally(failure);
      } else {
        answer.complete(value);
      }
    });
    return answer;
  }

  /**
   * Whether this node has begun to stop (from CoordinatedShutdown's service-requests-done phase on): requests for
   * partitions and coordinators are then answered with a retriable error at once, and clients find the next host.
   */
  public boolean selfStopping() {
    return stopping;
  }

  /** Who is a member, with what status and reachability: what placement and rebalancing depend on. */
  private static List<String> membership(Snapshot snapshot) {
    return snapshot.members().stream().map(m -> m.address() + " " + m.status() + " " + m.reachable()).toList();
  }

  /** Every member this node knows, with its status. */
  public List<ClusterMember> members() {
    return snapshot.get().members();
  }

  /** Whether this node is an Up member (what {@code /health} reports). */
  public boolean selfUp() {
    Snapshot now = snapshot.get();
    return now.members().stream().anyMatch(m -> m.address().equals(now.self()) && m.status().equals("Up"));
  }

  /**
   * Whether this node is an Up member whose endpoint is published: it serves Kafka and HTTP and every node names it
   * to clients. What Pekko Management's {@code /ready} reports ({@link NodeReadinessCheck}).
   */
  public boolean selfReady() {
    Snapshot now = snapshot.get();
    return now.members().stream()
        .anyMatch(m -> m.address().equals(now.self()) && m.status().equals("Up") && m.endpoint().isPresent());
  }

  /** The addresses of the live members (Up and reachable): the members {@link Placement} places shards on. */
  public List<Address> liveMembers() {
    return snapshot.get().members().stream().filter(ClusterMember::live).map(ClusterMember::address).toList();
  }

  /**
   * Whether every member is Up and reachable (no one joining, leaving or suspected dead) and the membership has not
   * changed for {@code settle}.
   */
  public boolean stableFor(Duration settle) {
    List<ClusterMember> members = snapshot.get().members();
    return !members.isEmpty() && members.stream().allMatch(ClusterMember::live)
        && System.nanoTime() - membershipChangedAt >= settle.toNanos();
  }

  /**
   * Whether this partition is, as far as this node can tell, still hosted by a member that is unreachable but not
   * yet removed: the owner by placement over the Up members, the unreachable ones included, which is where the shard
   * coordinator put it while that member was live. A request sent there now is lost with the node, so the doors
   * answer such a partition with a retriable error at once instead of waiting out the request timeout.
   */
  public boolean partitionOnUnreachableMember(PartitionId partition) {
    return onUnreachableMember(snapshot.get().members(), partition);
  }

  static boolean onUnreachableMember(List<ClusterMember> members, PartitionId partition) {
    if (members.stream().allMatch(ClusterMember::reachable)) {
      return false;
    }
    List<Address> up = members.stream().filter(m -> m.status().equals("Up")).map(ClusterMember::address).toList();
    Address owner = Placement.owner(PartitionShards.ENTITY_TYPE, partition.entityId(), up);
    return owner != null && members.stream().anyMatch(m -> m.address().equals(owner) && !m.reachable());
  }

  /** The live members' endpoints, by node id: the brokers of Metadata and DescribeCluster. */
  public List<BrokerEndpoint> brokers() {
    return snapshot.get().members().stream().filter(ClusterMember::live).flatMap(m -> m.endpoint().stream())
        .sorted(Comparator.comparingInt(BrokerEndpoint::nodeId)).toList();
  }

  /** The node that leads (hosts) this partition, when it is live and its endpoint is known. */
  public Optional<BrokerEndpoint> partitionLeader(PartitionId partition) {
    return owner(PartitionShards.ENTITY_TYPE, partition.entityId());
  }

  /** The node that hosts this group's coordinator, when it is live and its endpoint is known. */
  public Optional<BrokerEndpoint> groupCoordinator(String groupId) {
    return owner(GroupCoordinator.ENTITY_KEY.name(), groupShards.shardId(groupId));
  }

  /** The node that hosts this transactional id's coordinator, when it is live and its endpoint is known. */
  public Optional<BrokerEndpoint> transactionCoordinator(String transactionalId) {
    return owner(TransactionCoordinator.ENTITY_KEY.name(), groupShards.shardId(transactionalId));
  }

  /**
   * Whether this node hosts the group's coordinator by the current placement (the group's figures in
   * {@code /metrics} come from this node then, and from no other).
   */
  public boolean hostsGroupCoordinator(String groupId) {
    Snapshot now = snapshot.get();
    return now.self().equals(ownerAddress(now, GroupCoordinator.ENTITY_KEY.name(), groupShards.shardId(groupId)));
  }

  /** The oldest live member, which hosts the cluster singletons (the topic registry): Kafka's "controller". */
  public Optional<BrokerEndpoint> controller() {
    Snapshot now = snapshot.get();
    return now.oldest().flatMap(oldest -> endpointOf(now, oldest));
  }

  private Optional<BrokerEndpoint> owner(String entityType, String shardId) {
    Snapshot now = snapshot.get();
    Address owner = ownerAddress(now, entityType, shardId);
    return owner == null ? Optional.empty() : endpointOf(now, owner);
  }

  private static Address ownerAddress(Snapshot snapshot, String entityType, String shardId) {
    List<Address> live =
        snapshot.members().stream().filter(ClusterMember::live).map(ClusterMember::address).toList();
    return Placement.owner(entityType, shardId, live);
  }

  private static Optional<BrokerEndpoint> endpointOf(Snapshot snapshot, Address address) {
    return snapshot.members().stream().filter(m -> m.address().equals(address)).findFirst()
        .flatMap(ClusterMember::endpoint);
  }
}
