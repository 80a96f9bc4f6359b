package dev.runnel.broker.kafka;

import dev.runnel.broker.group.GroupDescription;
import dev.runnel.broker.group.GroupState;
import dev.runnel.broker.group.Groups;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResultCollection;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroupMember;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData.ListedGroup;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ListGroupsResponse;

/**
 * ListGroups, DescribeGroups and DeleteGroups. Every group here is a classic group (KIP-848's group type
 * {@code classic}); batch requests answer each group with its own error.
 */
final class GroupAdminHandler {

  private static final String CLASSIC = "classic";

  private final Groups groups;

  GroupAdminHandler(Groups groups) {
    this.groups = groups;
  }

  CompletionStage<AbstractResponse> listGroups(KafkaRequest request) {
    var data = ((ListGroupsRequest) request.body()).data();
    List<String> states = data.statesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    List<String> types = data.typesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    return groups.listGroups().handle((all, failure) -> {
      ListGroupsResponseData response = new ListGroupsResponseData();
      if (failure != null) {
        return new ListGroupsResponse(response.setErrorCode(KafkaErrors.code(failure).code()));
      }
      for (GroupDescription group : all) {
        String state = group.state().kafkaName();
        if ((!states.isEmpty() && !states.contains(state.toLowerCase(Locale.ROOT)))
            || (!types.isEmpty() && !types.contains(CLASSIC))) {
          continue;
        }
        response.groups().add(new ListedGroup().setGroupId(group.groupId()).setProtocolType(group.protocolType())
            .setGroupState(state).setGroupType(CLASSIC));
      }
      return new ListGroupsResponse(response);
    });
  }

  CompletionStage<AbstractResponse> describeGroups(KafkaRequest request) {
    var data = ((DescribeGroupsRequest) request.body()).data();
    short version = request.version();
    List<CompletableFuture<DescribedGroup>> described = new ArrayList<>();
    for (String groupId : data.groups()) {
      described.add(groups.describe(groupId)
          .thenApply(group -> described(group, version))
          .exceptionally(failure -> DescribeGroupsResponse.groupError(groupId, KafkaErrors.code(failure),
              KafkaErrors.of(failure).message()))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(described.toArray(CompletableFuture[]::new)).thenApply(done ->
        new DescribeGroupsResponse(new DescribeGroupsResponseData()
            .setGroups(described.stream().map(CompletableFuture::join).toList())));
  }

  private static DescribedGroup described(GroupDescription group, short version) {
    if (group.state() == GroupState.DEAD && version >= 6) {
      // KIP-1043: from v6 a group that does not exist is an error, not a Dead group.
      return DescribeGroupsResponse.groupError(group.groupId(), Errors.GROUP_ID_NOT_FOUND,
          "Group " + group.groupId() + " not found.");
    }
    List<DescribedGroupMember> members = new ArrayList<>();
    for (GroupDescription.MemberDescription member : group.members()) {
      members.add(new DescribedGroupMember().setMemberId(member.memberId())
          .setGroupInstanceId(member.groupInstanceId()).setClientId(member.clientId())
          .setClientHost(member.clientHost()).setMemberMetadata(member.metadata())
          .setMemberAssignment(member.assignment()));
    }
    return new DescribedGroup().setGroupId(group.groupId()).setErrorCode(Errors.NONE.code())
        .setGroupState(group.state().kafkaName()).setProtocolType(group.protocolType())
        .setProtocolData(group.protocolName() == null ? "" : group.protocolName()).setMembers(members);
  }

  CompletionStage<AbstractResponse> deleteGroups(KafkaRequest request) {
    var data = ((DeleteGroupsRequest) request.body()).data();
    List<CompletableFuture<DeletableGroupResult>> results = new ArrayList<>();
    for (String groupId : data.groupsNames()) {
      results.add(groups.deleteGroup(groupId)
          .thenApply(error -> new DeletableGroupResult().setGroupId(groupId).setErrorCode(error.code()))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      DeletableGroupResultCollection collection = new DeletableGroupResultCollection();
      results.forEach(result -> collection.add(result.join()));
      return new DeleteGroupsResponse(new DeleteGroupsResponseData().setResults(collection));
    });
  }
}
