package dev.runnel.broker.kafka;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.group.JoinRequest;
import dev.runnel.broker.group.JoinResult;
import dev.runnel.broker.group.OffsetCommitRequest;
import dev.runnel.broker.group.Protocol;
import dev.runnel.broker.group.SyncRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * Group API requests for {@link KafkaApiVersionsTest}, one per API and version, each on its own group. Where a
 * request needs a member (SyncGroup, Heartbeat, LeaveGroup) or an existing group (OffsetDelete, DescribeGroups v6,
 * DeleteGroups), the broker's group facade sets it up first, so the request itself must succeed.
 */
final class GroupRequests {

  private static final byte[] SUBSCRIPTION = "subscription".getBytes(StandardCharsets.UTF_8);

  private GroupRequests() {}

  static ApiMessage request(RunnelNode node, ApiKeys key, short v, String topic, Uuid topicId) {
    String group = key.name().toLowerCase() + "-v" + v;
    switch (key) {
      case FIND_COORDINATOR:
        return v < 4
            ? new FindCoordinatorRequestData().setKey(group).setKeyType((byte) 0)
            : new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of(group));
      case JOIN_GROUP: {
        // KIP-394: the member id is handed out first; the request then joins with it.
        String memberId = join(node, group, true).memberId();
        JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
            new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
        protocols.add(
            new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(SUBSCRIPTION));
        return new JoinGroupRequestData().setGroupId(group).setMemberId(memberId).setSessionTimeoutMs(10_000)
            .setRebalanceTimeoutMs(v >= 1 ? 10_000 : -1).setProtocolType("consumer").setProtocols(protocols)
            .setReason(v >= 8 ? "versions test" : null);
      }
      case SYNC_GROUP: {
        JoinResult joined = join(node, group, false);
        return new SyncGroupRequestData().setGroupId(group)
            .setMemberId(joined.memberId()).setGenerationId(joined.generationId())
            .setProtocolType(v >= 5 ? "consumer" : null).setProtocolName(v >= 5 ? "range" : null)
            .setAssignments(List.of(new SyncGroupRequestData.SyncGroupRequestAssignment()
                .setMemberId(joined.memberId()).setAssignment(new byte[] {1})));
      }
      case HEARTBEAT: {
        JoinResult joined = stable(node, group);
        return new HeartbeatRequestData().setGroupId(group).setMemberId(joined.memberId())
            .setGenerationId(joined.generationId());
      }
      case LEAVE_GROUP: {
        JoinResult joined = stable(node, group);
        return v < 3
            ? new LeaveGroupRequestData().setGroupId(group).setMemberId(joined.memberId())
            : new LeaveGroupRequestData().setGroupId(group).setMembers(List.of(
                new LeaveGroupRequestData.MemberIdentity().setMemberId(joined.memberId())));
      }
      case OFFSET_COMMIT: {
        OffsetCommitRequestData.OffsetCommitRequestTopic committed = v >= 10
            ? new OffsetCommitRequestData.OffsetCommitRequestTopic().setTopicId(topicId)
            : new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(topic);
        committed.partitions().add(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0)
            .setCommittedOffset(1).setCommittedMetadata("m"));
        return new OffsetCommitRequestData().setGroupId(group).setTopics(List.of(committed));
      }
      case OFFSET_FETCH: {
        if (v < 8) {
          return new OffsetFetchRequestData().setGroupId(group).setTopics(List.of(
              new OffsetFetchRequestData.OffsetFetchRequestTopic().setName(topic).setPartitionIndexes(List.of(0))));
        }
        OffsetFetchRequestData.OffsetFetchRequestTopics topics = v >= 10
            ? new OffsetFetchRequestData.OffsetFetchRequestTopics().setTopicId(topicId)
            : new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(topic);
        return new OffsetFetchRequestData().setGroups(List.of(new OffsetFetchRequestData.OffsetFetchRequestGroup()
            .setGroupId(group).setTopics(List.of(topics.setPartitionIndexes(List.of(0))))));
      }
      case OFFSET_DELETE: {
        commit(node, group, topic);
        OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection topics =
            new OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection();
        topics.add(new OffsetDeleteRequestData.OffsetDeleteRequestTopic().setName(topic).setPartitions(List.of(
            new OffsetDeleteRequestData.OffsetDeleteRequestPartition().setPartitionIndex(0))));
        return new OffsetDeleteRequestData().setGroupId(group).setTopics(topics);
      }
      case LIST_GROUPS:
        return new ListGroupsRequestData();
      case DESCRIBE_GROUPS:
        commit(node, group, topic);
        return new DescribeGroupsRequestData().setGroups(List.of(group));
      case DELETE_GROUPS:
        commit(node, group, topic);
        return new DeleteGroupsRequestData().setGroupsNames(List.of(group));
      default:
        throw new AssertionError("no request for " + key);
    }
  }

  private static JoinResult join(RunnelNode node, String group, boolean requireKnownMemberId) {
    JoinResult joined = get(node.groups().join(group, new JoinRequest("", null, "versions", "/127.0.0.1", 10_000,
        10_000, "consumer", List.of(new Protocol("range", SUBSCRIPTION)), requireKnownMemberId)));
    Errors expected = requireKnownMemberId ? Errors.MEMBER_ID_REQUIRED : Errors.NONE;
    if (joined.error() != expected) {
      throw new AssertionError("setting up " + group + ": " + joined.error());
    }
    return joined;
  }

  private static JoinResult stable(RunnelNode node, String group) {
    JoinResult joined = join(node, group, false);
    get(node.groups().sync(group, new SyncRequest(joined.memberId(), null, joined.generationId(), "consumer", "range",
        Map.of(joined.memberId(), new byte[] {1}))));
    return joined;
  }

  private static void commit(RunnelNode node, String group, String topic) {
    get(node.groups().commitOffsets(group, new OffsetCommitRequest("", null, -1,
        Map.of(new TopicPartition(topic, 0), new OffsetCommitRequest.Offset(1, -1, "")))));
  }

  private static <T> T get(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
