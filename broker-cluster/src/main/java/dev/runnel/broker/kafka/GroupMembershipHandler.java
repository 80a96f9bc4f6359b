package dev.runnel.broker.kafka;

import dev.runnel.broker.cluster.BrokerEndpoint;
import dev.runnel.broker.cluster.ClusterView;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.group.JoinRequest;
import dev.runnel.broker.group.JoinResult;
import dev.runnel.broker.group.LeaveRequest;
import dev.runnel.broker.group.Protocol;
import dev.runnel.broker.group.SyncRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData.Coordinator;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData.JoinGroupResponseMember;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData.MemberResponse;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;

/**
 * FindCoordinator and the classic group membership protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup.
 * FindCoordinator names the node that hosts the group's (or transactional id's) coordinator entity
 * ({@link ClusterView}), or this node
 * while the view does not know it yet; any node serves any group's requests all the same, through sharding, so a
 * client that reaches another node (its coordinator moved or died) is served, not refused. Decisions are the
 * coordinator's; this class only translates versions.
 */
final class GroupMembershipHandler {

  private final Groups groups;
  private final KafkaNode node;
  private final ClusterView cluster;

  GroupMembershipHandler(Groups groups, KafkaNode node, ClusterView cluster) {
    this.groups = groups;
    this.node = node;
    this.cluster = cluster;
  }

  /** The node hosting the coordinator of this key, or this node while the view does not know it; null if none. */
  private BrokerEndpoint coordinatorOf(byte keyType, String key) {
    Optional<BrokerEndpoint> host;
    if (keyType == FindCoordinatorRequest.CoordinatorType.GROUP.id()) {
      host = cluster.groupCoordinator(key);
    } else if (keyType == FindCoordinatorRequest.CoordinatorType.TRANSACTION.id()) {
      host = cluster.transactionCoordinator(key);
    } else {
      return null;
    }
    return host.orElseGet(() -> new BrokerEndpoint(node.nodeId(), node.host(), node.port(), node.host(), -1));
  }

  CompletionStage<AbstractResponse> findCoordinator(KafkaRequest request) {
    FindCoordinatorRequest body = (FindCoordinatorRequest) request.body();
    FindCoordinatorResponseData data = new FindCoordinatorResponseData();
    byte keyType = body.data().keyType();
    if (request.version() < 4) {
      BrokerEndpoint coordinator = coordinatorOf(keyType, body.data().key());
      // Share groups are not served: their coordinator is never available.
      Errors error = coordinator != null ? Errors.NONE : Errors.COORDINATOR_NOT_AVAILABLE;
      data.setErrorCode(error.code()).setErrorMessage(coordinator != null ? null : error.message())
          .setNodeId(coordinator != null ? coordinator.nodeId() : -1)
          .setHost(coordinator != null ? coordinator.kafkaHost() : "")
          .setPort(coordinator != null ? coordinator.kafkaPort() : -1);
    } else {
      for (String key : body.data().coordinatorKeys()) {
        BrokerEndpoint coordinator = coordinatorOf(keyType, key);
        Errors error = coordinator != null ? Errors.NONE : Errors.COORDINATOR_NOT_AVAILABLE;
        data.coordinators().add(new Coordinator().setKey(key).setErrorCode(error.code())
            .setErrorMessage(coordinator != null ? null : error.message())
            .setNodeId(coordinator != null ? coordinator.nodeId() : -1)
            .setHost(coordinator != null ? coordinator.kafkaHost() : "")
            .setPort(coordinator != null ? coordinator.kafkaPort() : -1));
      }
    }
    return CompletableFuture.completedFuture(new FindCoordinatorResponse(data));
  }

  CompletionStage<AbstractResponse> joinGroup(KafkaRequest request) {
    JoinGroupRequest body = (JoinGroupRequest) request.body();
    short version = request.version();
    var data = body.data();
    List<Protocol> protocols = new ArrayList<>();
    for (JoinGroupRequestProtocol protocol : data.protocols()) {
      protocols.add(new Protocol(protocol.name(), protocol.metadata()));
    }
    // JoinGroup v0 has no rebalance timeout: the session timeout is both (as in Kafka).
    int rebalanceTimeout = data.rebalanceTimeoutMs() < 0 ? data.sessionTimeoutMs() : data.rebalanceTimeoutMs();
    JoinRequest join = new JoinRequest(data.memberId(), data.groupInstanceId(), request.header().clientId(),
        clientHost(request), data.sessionTimeoutMs(), rebalanceTimeout, data.protocolType(), protocols,
        version >= 4);
    return groups.join(data.groupId(), join).thenApply(result -> joinResponse(result, version));
  }

  private static JoinGroupResponse joinResponse(JoinResult result, short version) {
    List<JoinGroupResponseMember> members = new ArrayList<>();
    for (JoinResult.JoinedMember member : result.members()) {
      members.add(new JoinGroupResponseMember().setMemberId(member.memberId())
          .setGroupInstanceId(member.groupInstanceId()).setMetadata(member.metadata()));
    }
    JoinGroupResponseData data = new JoinGroupResponseData()
        .setErrorCode(result.error().code())
        .setGenerationId(result.generationId())
        .setProtocolType(result.protocolType())
        // Before v7 the protocol name may not be null.
        .setProtocolName(result.protocolName() == null && version < 7 ? "" : result.protocolName())
        .setLeader(result.leaderId() == null ? "" : result.leaderId())
        .setSkipAssignment(result.skipAssignment())
        .setMemberId(result.memberId())
        .setMembers(members);
    return new JoinGroupResponse(data, version);
  }

  CompletionStage<AbstractResponse> syncGroup(KafkaRequest request) {
    SyncGroupRequest body = (SyncGroupRequest) request.body();
    var data = body.data();
    Map<String, byte[]> assignments = new HashMap<>();
    for (SyncGroupRequestAssignment assignment : data.assignments()) {
      assignments.put(assignment.memberId(), assignment.assignment());
    }
    SyncRequest sync = new SyncRequest(data.memberId(), data.groupInstanceId(), data.generationId(),
        data.protocolType(), data.protocolName(), assignments);
    return groups.sync(data.groupId(), sync).thenApply(result -> new SyncGroupResponse(new SyncGroupResponseData()
        .setErrorCode(result.error().code())
        .setProtocolType(result.protocolType())
        .setProtocolName(result.protocolName())
        .setAssignment(result.assignment())));
  }

  CompletionStage<AbstractResponse> heartbeat(KafkaRequest request) {
    HeartbeatRequest body = (HeartbeatRequest) request.body();
    var data = body.data();
    return groups.heartbeat(data.groupId(),
            new dev.runnel.broker.group.HeartbeatRequest(data.memberId(), data.groupInstanceId(), data.generationId()))
        .thenApply(error -> new HeartbeatResponse(new HeartbeatResponseData().setErrorCode(error.code())));
  }

  CompletionStage<AbstractResponse> leaveGroup(KafkaRequest request) {
    LeaveGroupRequest body = (LeaveGroupRequest) request.body();
    List<LeaveRequest.Leaving> leaving = new ArrayList<>();
    for (MemberIdentity member : body.members()) {
      leaving.add(new LeaveRequest.Leaving(member.memberId(), member.groupInstanceId()));
    }
    short version = request.version();
    return groups.leave(body.data().groupId(), new LeaveRequest(leaving)).thenApply(result -> {
      LeaveGroupResponseData data = new LeaveGroupResponseData().setErrorCode(result.error().code());
      if (version >= 3) {
        for (var left : result.members()) {
          data.members().add(new MemberResponse().setMemberId(left.memberId())
              .setGroupInstanceId(left.groupInstanceId()).setErrorCode(left.error().code()));
        }
      } else if (result.error() == Errors.NONE && !result.members().isEmpty()) {
        // Before v3 one member leaves and its error is the response's.
        data.setErrorCode(result.members().get(0).error().code());
      }
      return new LeaveGroupResponse(data);
    });
  }

  /** The client's address as Kafka reports it in DescribeGroups ({@code /127.0.0.1}). */
  static String clientHost(KafkaRequest request) {
    String connection = request.connection();
    int from = connection.lastIndexOf(" from ");
    String address = from < 0 ? connection : connection.substring(from + " from ".length());
    int port = address.lastIndexOf(':');
    return port > 0 ? address.substring(0, port) : address;
  }
}
