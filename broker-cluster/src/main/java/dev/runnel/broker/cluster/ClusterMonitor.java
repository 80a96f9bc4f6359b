package dev.runnel.broker.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Watches the cluster for this node: logs every membership and reachability change at INFO, publishes this
 * node's {@link BrokerEndpoint} in Distributed Data (an {@code LWWMap} from member address to endpoint), and keeps
 * {@link ClusterView} equal to the members it sees and the endpoints they published.
 *
 * <p>On the local profiles ({@code embedded}, {@code h2}) the journal is this node's own files, which no other node can read, so a
 * second member would make partitions move to nodes without their data: an embedded node that sees another member
 * logs why and shuts down (leaving the cluster) instead of serving.
 */
public final class ClusterMonitor {

  static final Key<LWWMap<String, BrokerEndpoint>> ENDPOINTS = LWWMapKey.create("runnel-brokers");

  /** Local only: this node's Guardian, cluster subscriptions and replicator adapters talk to its monitor. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Publishes this node's endpoint, once its servers are bound. */
  public record Publish(BrokerEndpoint endpoint) implements Command {}

  private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  private record EndpointsChanged(Replicator.SubscribeResponse<LWWMap<String, BrokerEndpoint>> response)
      implements Command {}

  private record Written(Replicator.UpdateResponse<LWWMap<String, BrokerEndpoint>> response) implements Command {}

  /** Why an embedded node stops when it finds itself in a multi-node cluster. */
  private enum EmbeddedProfileInCluster implements CoordinatedShutdown.Reason { INSTANCE }

  private final ActorContext<Command> context;
  private final ReplicatorMessageAdapter<Command, LWWMap<String, BrokerEndpoint>> replicator;
  private final SelfUniqueAddress selfNode;
  private final Address self;
  private final boolean embedded;
  private final ClusterView view;
  private final Map<Address, Member> members = new HashMap<>();
  private final Set<Address> unreachable = new HashSet<>();
  private Map<String, BrokerEndpoint> endpoints = Map.of();
  private Optional<BrokerEndpoint> published = Optional.empty();

  private ClusterMonitor(ActorContext<Command> context,
      ReplicatorMessageAdapter<Command, LWWMap<String, BrokerEndpoint>> replicator, boolean embedded) {
    this.context = context;
    this.replicator = replicator;
    this.selfNode = DistributedData.get(context.getSystem()).selfUniqueAddress();
    this.self = Cluster.get(context.getSystem()).selfMember().address();
    this.embedded = embedded;
    this.view = ClusterView.get(context.getSystem());
  }

  /** @param embedded whether this node runs a local journal profile (embedded, h2), which refuses other members */
  public static Behavior<Command> create(boolean embedded) {
    return Behaviors.setup(context -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Command, LWWMap<String, BrokerEndpoint>> replicator) -> {
          Cluster cluster = Cluster.get(context.getSystem());
          cluster.subscriptions().tell(Subscribe.create(
              context.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new),
              ClusterEvent.MemberEvent.class));
          cluster.subscriptions().tell(Subscribe.create(
              context.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
              ClusterEvent.ReachabilityEvent.class));
          replicator.subscribe(ENDPOINTS, EndpointsChanged::new);
          return new ClusterMonitor(context, replicator, embedded).behavior();
        }));
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Publish.class, publish -> {
          published = Optional.of(publish.endpoint());
          write();
          return Behaviors.same();
        })
        .onMessage(MembershipChanged.class, changed -> onMember(changed.event()))
        .onMessage(ReachabilityChanged.class, changed -> {
          Member member = changed.event().member();
          if (changed.event() instanceof ClusterEvent.UnreachableMember) {
            unreachable.add(member.address());
            context.getLog().info("Cluster: member {} ({}) is unreachable", member.address(), nodeIdOf(member));
          } else {
            unreachable.remove(member.address());
            context.getLog().info("Cluster: member {} ({}) is reachable again", member.address(), nodeIdOf(member));
          }
          refresh();
          return Behaviors.same();
        })
        .onMessage(EndpointsChanged.class, changed -> {
          if (changed.response() instanceof Replicator.Changed<LWWMap<String, BrokerEndpoint>> map) {
            endpoints = map.get(ENDPOINTS).getEntries();
            refresh();
          }
          return Behaviors.same();
        })
        .onMessage(Written.class, written -> {
          if (!(written.response() instanceof Replicator.UpdateSuccess)) {
            // Applied locally all the same; gossip spreads it, only the acknowledgement of every node is missing.
            context.getLog().debug("Endpoint publication not yet acknowledged by every node: {}", written.response());
          }
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> onMember(ClusterEvent.MemberEvent event) {
    Member member = event.member();
    if (event instanceof ClusterEvent.MemberRemoved) {
      members.remove(member.address());
      unreachable.remove(member.address());
    } else {
      members.put(member.address(), member);
    }
    context.getLog().info("Cluster: member {} ({}) is {}; {} members Up", member.address(), nodeIdOf(member),
        member.status(), members.values().stream().filter(m -> m.status().toString().equals("Up")).count());
    if (embedded && !member.address().equals(self) && !(event instanceof ClusterEvent.MemberRemoved)) {
      context.getLog().error("This node runs a local journal profile (embedded or h2), whose journal no other node can read, so"
          + " it cannot be part of a multi-node cluster (member {} appeared)."
          + " Run every node of a cluster with runnel.persistence.profile = postgres. Leaving and shutting down.",
          member.address());
      CoordinatedShutdown.get(context.getSystem()).runAll(EmbeddedProfileInCluster.INSTANCE);
    }
    if (event instanceof ClusterEvent.MemberUp && !member.address().equals(self)) {
      // The newcomer gets this node's endpoint at once rather than at the next gossip round.
      write();
    }
    refresh();
    return Behaviors.same();
  }

  private String nodeIdOf(Member member) {
    BrokerEndpoint endpoint = endpoints.get(member.address().toString());
    return endpoint == null ? "node id not yet known" : "node " + endpoint.nodeId();
  }

  private void write() {
    published.ifPresent(endpoint -> replicator.askUpdate(
        replyTo -> new Replicator.Update<>(ENDPOINTS, LWWMap.create(), new Replicator.WriteAll(Duration.ofSeconds(3)),
            replyTo, map -> map.put(selfNode, self.toString(), endpoint)),
        Written::new));
  }

  private void refresh() {
    List<ClusterMember> list = new ArrayList<>();
    Member oldest = null;
    for (Member member : members.values()) {
      boolean reachable = !unreachable.contains(member.address());
      list.add(new ClusterMember(member.address(), member.status().toString(), Set.copyOf(member.getRoles()),
          reachable, Optional.ofNullable(endpoints.get(member.address().toString()))));
      if (member.status().toString().equals("Up") && reachable && (oldest == null || member.isOlderThan(oldest))) {
        oldest = member;
      }
    }
    list.sort(Comparator.comparing(m -> m.address().toString()));
    view.update(new ClusterView.Snapshot(self, List.copyOf(list),
        Optional.ofNullable(oldest).map(Member::address)));
  }
}
