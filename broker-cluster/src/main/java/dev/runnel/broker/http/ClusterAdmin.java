package dev.runnel.broker.http;

import dev.runnel.broker.Broker;
import dev.runnel.broker.cluster.BrokerEndpoint;
import dev.runnel.broker.cluster.ClusterMember;
import dev.runnel.broker.cluster.ClusterView;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * {@code GET /cluster}: the members this node sees with their status, roles, addresses and node ids, the
 * controller, which node leads each partition and which coordinates each group, all from this node's
 * {@link ClusterView} (no node is asked). A leader or coordinator is -1 while no live node's endpoint is known.
 */
final class ClusterAdmin {

  record MemberView(String address, String status, List<String> roles, boolean reachable, int nodeId,
      String kafka, String http) {}

  record PartitionLeader(String topic, int partition, int leader) {}

  record GroupCoordinatorView(String groupId, int coordinator) {}

  record ClusterDescription(int controller, List<MemberView> members, List<PartitionLeader> partitions,
      List<GroupCoordinatorView> groups) {}

  private final Broker broker;
  private final Groups groups;
  private final ClusterView cluster;

  ClusterAdmin(Broker broker, Groups groups) {
    this.broker = broker;
    this.groups = groups;
    this.cluster = ClusterView.get(broker.system());
  }

  /** Whether this node is an Up member of its cluster: what {@code /health} answers 200 or 503 for. */
  boolean up() {
    return cluster.selfUp();
  }

  CompletionStage<ClusterDescription> describe() {
    List<MemberView> members = new ArrayList<>();
    for (ClusterMember member : cluster.members()) {
      members.add(new MemberView(member.address().toString(), member.status(),
          member.roles().stream().sorted().toList(), member.reachable(),
          member.endpoint().map(BrokerEndpoint::nodeId).orElse(-1),
          member.endpoint().map(e -> e.kafkaHost() + ":" + e.kafkaPort()).orElse(null),
          member.endpoint().map(e -> e.httpHost() + ":" + e.httpPort()).orElse(null)));
    }
    List<PartitionLeader> partitions = new ArrayList<>();
    List<TopicMetadata> topics = new ArrayList<>(broker.topics());
    topics.sort(Comparator.comparing(TopicMetadata::name));
    for (TopicMetadata topic : topics) {
      for (PartitionId partition : Broker.partitions(topic)) {
        partitions.add(new PartitionLeader(topic.name(), partition.partition(),
            cluster.partitionLeader(partition).map(BrokerEndpoint::nodeId).orElse(-1)));
      }
    }
    int controller = cluster.controller().map(BrokerEndpoint::nodeId).orElse(-1);
    // Group ids from the journal, not from the coordinators: a coordinator on a dead node must not hold this up.
    return groups.groupIds().thenApply(ids -> new ClusterDescription(controller, members, partitions,
        ids.stream().sorted().map(id -> new GroupCoordinatorView(id,
            cluster.groupCoordinator(id).map(BrokerEndpoint::nodeId).orElse(-1))).toList()));
  }
}
