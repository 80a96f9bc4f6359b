package dev.runnel.broker.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.group.GroupDescription;
import dev.runnel.broker.group.GroupState;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.group.OffsetReset;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.group.PartitionLag;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.protocol.Errors;

/**
 * Consumer groups for the HTTP API: list, describe with members, assignment, committed offsets and lag, delete,
 * and offset resets like {@code kafka-consumer-groups --reset-offsets}. Thread-safe.
 */
final class GroupAdmin {

  static final Set<String> RESET_FIELDS = Set.of("topic", "to", "offset", "timestamp");

  /** A group in the list. */
  record GroupSummary(String groupId, String state, String protocolType, String protocol, int members) {}

  /**
   * A group described in full.
   *
   * @param generation the group's generation id
   * @param leader the member that assigned the current generation, if any
   * @param partitions every partition the group has committed or is assigned, with its lag
   */
  record GroupView(String groupId, String state, String protocolType, String protocol, int generation,
      String leader, List<MemberView> members, List<PartitionLag> partitions) {}

  /** A member with the partitions assigned to it (read as Kafka's consumer protocol; empty for other protocols). */
  record MemberView(String memberId, String groupInstanceId, String clientId, String clientHost,
      List<TopicPartitionView> assignment) {}

  record TopicPartitionView(String topic, int partition) {}

  private final Groups groups;

  GroupAdmin(Groups groups) {
    this.groups = groups;
  }

  CompletionStage<List<GroupSummary>> list() {
    return groups.listGroups().thenApply(all -> {
      List<GroupSummary> summaries = new ArrayList<>();
      for (GroupDescription group : all) {
        summaries.add(new GroupSummary(group.groupId(), group.state().kafkaName(), group.protocolType(),
            group.protocolName(), group.members().size()));
      }
      summaries.sort(Comparator.comparing(GroupSummary::groupId));
      return summaries;
    });
  }

  CompletionStage<GroupView> describe(String groupId) {
    return groups.describe(groupId).thenCompose(group -> {
      if (group.state() == GroupState.DEAD) {
        throw new GroupIdNotFoundException("Group '" + groupId + "' does not exist.");
      }
      return groups.lag(groupId).thenApply(lag -> {
        List<MemberView> members = new ArrayList<>();
        for (GroupDescription.MemberDescription member : group.members()) {
          members.add(new MemberView(member.memberId(), member.groupInstanceId(), member.clientId(),
              member.clientHost(), assignment(member.assignment())));
        }
        return new GroupView(group.groupId(), group.state().kafkaName(), group.protocolType(),
            group.protocolName(), group.generationId(), group.leaderId(), members, lag);
      });
    });
  }

  private static List<TopicPartitionView> assignment(byte[] bytes) {
    List<TopicPartitionView> partitions = new ArrayList<>();
    if (bytes.length == 0) {
      return partitions;
    }
    try {
      for (TopicPartition partition : ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(bytes)).partitions()) {
        partitions.add(new TopicPartitionView(partition.topic(), partition.partition()));
      }
    } catch (RuntimeException e) {
      // Not a consumer assignment (another protocol type): nothing we can name.
    }
    partitions.sort(Comparator.comparing(TopicPartitionView::topic).thenComparing(TopicPartitionView::partition));
    return partitions;
  }

  CompletionStage<GroupSummary> delete(String groupId) {
    return groups.deleteGroup(groupId).thenApply(error -> {
      if (error != Errors.NONE) {
        throw error.exception("Group '" + groupId + "' was not deleted: " + error.message());
      }
      return new GroupSummary(groupId, GroupState.DEAD.kafkaName(), "", null, 0);
    });
  }

  /** {@code {"topic": T, "to": "earliest" | "latest" | "offset" | "timestamp", "offset": N, "timestamp": MS}}. */
  CompletionStage<List<PartitionLag>> resetOffsets(String groupId, JsonNode body) {
    JsonFields.onlyKnown(body, "the request", RESET_FIELDS);
    String topic = JsonFields.requiredText(body, "topic");
    String to = JsonFields.requiredText(body, "to");
    OffsetReset target;
    switch (to) {
      case "earliest":
        target = new OffsetReset.ToEarliest();
        break;
      case "latest":
        target = new OffsetReset.ToLatest();
        break;
      case "offset":
        target = new OffsetReset.ToOffset(required(JsonFields.optionalLong(body, "offset"), "offset"));
        break;
      case "timestamp": {
        long timestamp = required(JsonFields.optionalLong(body, "timestamp"), "timestamp");
        // Kafka's ListOffsets reads -1 and -2 as latest and earliest; here those are "to" values of their own,
        // so a negative timestamp is a mistake, not a sentinel.
        if (timestamp < 0) {
          throw new InvalidRequestException("Field 'timestamp' must be epoch milliseconds, at least 0, not "
              + timestamp + "; use \"to\": \"earliest\" or \"latest\" for the log start or end");
        }
        target = new OffsetReset.ToTimestamp(timestamp);
        break;
      }
      default:
        throw new InvalidRequestException(
            "Field 'to' must be one of earliest, latest, offset, timestamp, not '" + to + "'");
    }
    return groups.resetOffsets(groupId, topic, target).thenCompose(result -> {
      Errors error = firstError(result);
      if (error != Errors.NONE) {
        throw error.exception(error == Errors.NON_EMPTY_GROUP
            ? "Offsets of group '" + groupId + "' can only be reset while it has no members."
            : error.message());
      }
      return groups.lag(groupId);
    });
  }

  private static long required(Long value, String field) {
    if (value == null) {
      throw new InvalidRequestException("Field '" + field + "' is required");
    }
    return value;
  }

  private static Errors firstError(PartitionErrors result) {
    if (result.error() != Errors.NONE) {
      return result.error();
    }
    return result.partitions().values().stream().filter(e -> e != Errors.NONE).findFirst().orElse(Errors.NONE);
  }
}
