package dev.runnel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code groups list|describe|reset-offsets|delete}, like {@code kafka-consumer-groups}. */
@Command(name = "groups", description = "List, describe, reset the offsets of and delete consumer groups.",
    subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Describe.class, GroupsCommand.ResetOffsets.class,
        GroupsCommand.Delete.class})
final class GroupsCommand extends CliCommand {

  @Override
  public void run() {
    throw usage("Missing a groups command: list, describe, reset-offsets or delete");
  }

  static String path(String group) {
    return "/groups/" + BrokerClient.segment(group);
  }

  @Command(name = "list", description = "List every group with members or committed offsets.")
  static final class ListGroups extends CliCommand {
    @Override
    public void run() {
      JsonNode groups = client().get("/groups");
      if (json()) {
        printJson(groups);
        return;
      }
      Table table = new Table("GROUP", "STATE", "PROTOCOL-TYPE", "MEMBERS");
      for (JsonNode group : groups) {
        String type = group.path("protocol_type").asText("");
        table.row(group.path("group_id").asText(), group.path("state").asText(), type.isEmpty() ? "-" : type,
            group.path("members").asInt());
      }
      table.print(out());
    }
  }

  @Command(name = "describe", description = {"A group's partitions: committed offset, log end, lag and member,",
      "in the layout of kafka-consumer-groups.sh --describe --group GROUP."})
  static final class Describe extends CliCommand {
    @Parameters(paramLabel = "GROUP", description = "The consumer group id.")
    String group;

    @Override
    public void run() {
      JsonNode described = client().get(path(group));
      if (json()) {
        printJson(described);
        return;
      }
      // Kafka's tool tells about the group's state on stderr, before the table.
      String state = described.path("state").asText();
      if (state.equals("Empty")) {
        err().println("\nConsumer group '" + group + "' has no active members.");
      } else if (state.equals("PreparingRebalance") || state.equals("CompletingRebalance")) {
        err().println("\nWarning: Consumer group '" + group + "' is rebalancing.");
      }
      err().flush();
      List<GroupOffsets.Row> rows = GroupOffsets.rows(described);
      if (!rows.isEmpty()) {
        out().print(GroupOffsets.format(rows));
        out().flush();
      }
    }
  }

  /** The target of a reset; exactly one. */
  static final class Target {
    @Option(names = "--to-earliest", required = true, description = "Each partition's log start.")
    boolean earliest;

    @Option(names = "--to-latest", required = true, description = "Each partition's log end.")
    boolean latest;

    @Option(names = "--to-offset", required = true, paramLabel = "N",
        description = "Offset N in each partition (clamped to the log).")
    Long offset;

    @Option(names = "--to-timestamp", required = true, paramLabel = "MS",
        description = "The first record at or after MS milliseconds since the epoch (the log end if none).")
    Long timestamp;

    @Option(names = "--to-datetime", required = true, paramLabel = "DATETIME",
        description = "As --to-timestamp, given as ISO-8601 with an offset, e.g. 2026-01-31T12:00:00Z.")
    String datetime;
  }

  @Command(name = "reset-offsets", description = {"Move a group's committed offsets on every partition of a topic.",
      "Only while the group has no members (NON_EMPTY_GROUP otherwise). Applied at once (no dry run)."})
  static final class ResetOffsets extends CliCommand {
    @Parameters(paramLabel = "GROUP", description = "The consumer group id.")
    String group;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic whose offsets move.")
    String topic;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Override
    public void run() {
      ObjectNode body = BrokerClient.object().put("topic", topic);
      if (target.earliest) {
        body.put("to", "earliest");
      } else if (target.latest) {
        body.put("to", "latest");
      } else if (target.offset != null) {
        body.put("to", "offset").put("offset", target.offset);
      } else {
        body.put("to", "timestamp").put("timestamp", timestamp());
      }
      JsonNode partitions = client().post(path(group) + "/offsets/reset", body);
      if (json()) {
        printJson(partitions);
        return;
      }
      Table table = new Table("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
      for (JsonNode p : partitions) {
        if (p.path("topic").asText().equals(topic)) {
          table.row(group, topic, p.path("partition").asInt(), orDash(p.path("committed_offset")));
        }
      }
      table.print(out());
    }

    private long timestamp() {
      if (target.timestamp != null) {
        if (target.timestamp < 0) {
          throw usage("Invalid value for option '--to-timestamp': " + target.timestamp + " (milliseconds >= 0)");
        }
        return target.timestamp;
      }
      try {
        return OffsetDateTime.parse(target.datetime).toInstant().toEpochMilli();
      } catch (DateTimeParseException e) {
        throw usage("Invalid value for option '--to-datetime': '" + target.datetime
            + "' is not an ISO-8601 date and time with an offset, e.g. 2026-01-31T12:00:00Z");
      }
    }
  }

  @Command(name = "delete", description = "Delete a group's committed offsets (only while it has no members).")
  static final class Delete extends CliCommand {
    @Parameters(paramLabel = "GROUP", description = "The consumer group id.")
    String group;

    @Override
    public void run() {
      JsonNode deleted = client().delete(path(group));
      if (json()) {
        printJson(deleted);
      } else {
        out().println("Deletion of requested consumer groups ('" + group + "') was successful.");
      }
    }
  }
}
