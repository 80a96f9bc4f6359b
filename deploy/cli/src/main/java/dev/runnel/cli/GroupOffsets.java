package dev.runnel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A group's partitions in the layout of {@code kafka-consumer-groups.sh --describe --group G}, from
 * {@code GET /groups/{g}}: the same columns, widths, order of rows and {@code -} for unknowns, so scripts written
 * for Kafka's tool read it. Kafka's rows: the members with partitions, most partitions first, each member's
 * partitions by topic and partition; then the committed partitions no member holds, with {@code -} for the member.
 */
final class GroupOffsets {

  static final String MISSING = "-";

  /** One output row. */
  record Row(String group, String topic, int partition, String currentOffset, String logEndOffset, String lag,
      String consumerId, String host, String clientId) {}

  private GroupOffsets() {}

  static List<Row> rows(JsonNode group) {
    String groupId = group.path("group_id").asText();
    Map<String, JsonNode> partitions = new HashMap<>();
    for (JsonNode p : group.path("partitions")) {
      partitions.put(key(p.path("topic").asText(), p.path("partition").asInt()), p);
    }
    List<JsonNode> members = new ArrayList<>();
    group.path("members").forEach(members::add);
    // A stable sort, as Kafka's: members with equally many partitions keep the coordinator's order.
    members.sort(Comparator.comparingInt((JsonNode m) -> m.path("assignment").size()).reversed());
    List<Row> rows = new ArrayList<>();
    List<String> assigned = new ArrayList<>();
    for (JsonNode member : members) {
      List<JsonNode> owned = new ArrayList<>();
      member.path("assignment").forEach(owned::add);
      owned.sort(Comparator.comparing((JsonNode tp) -> tp.path("topic").asText())
          .thenComparingInt(tp -> tp.path("partition").asInt()));
      for (JsonNode tp : owned) {
        String key = key(tp.path("topic").asText(), tp.path("partition").asInt());
        assigned.add(key);
        rows.add(row(groupId, tp.path("topic").asText(), tp.path("partition").asInt(), partitions.get(key),
            member.path("member_id").asText(), member.path("client_host").asText(), member.path("client_id").asText()));
      }
    }
    List<JsonNode> unassigned = new ArrayList<>();
    for (JsonNode p : group.path("partitions")) {
      boolean committed = p.path("committed_offset").asLong(-1) >= 0;
      if (committed && !assigned.contains(key(p.path("topic").asText(), p.path("partition").asInt()))) {
        unassigned.add(p);
      }
    }
    unassigned.sort(Comparator.comparing((JsonNode p) -> p.path("topic").asText())
        .thenComparingInt(p -> p.path("partition").asInt()));
    for (JsonNode p : unassigned) {
      rows.add(row(groupId, p.path("topic").asText(), p.path("partition").asInt(), p, MISSING, MISSING, MISSING));
    }
    return rows;
  }

  private static Row row(String group, String topic, int partition, JsonNode offsets, String consumerId,
      String host, String clientId) {
    String current = offsets == null ? MISSING : CliCommand.orDash(offsets.path("committed_offset"));
    String end = offsets == null ? MISSING : CliCommand.orDash(offsets.path("log_end_offset"));
    // Kafka shows a lag only where both offsets are known.
    String lag = current.equals(MISSING) || end.equals(MISSING)
        ? MISSING
        : Long.toString(Long.parseLong(end) - Long.parseLong(current));
    return new Row(group, topic, partition, current, end, lag, consumerId, host, clientId);
  }

  private static String key(String topic, int partition) {
    return topic + "\u0000" + partition;
  }

  /**
   * The rows as Kafka's tool prints them: each line starts with a newline (the header too), the last ends with
   * one; group, topic, consumer id and host columns as wide as their longest value and at least 15.
   */
  static String format(List<Row> rows) {
    int group = 15;
    int topic = 15;
    int consumer = 15;
    int host = 15;
    for (Row row : rows) {
      group = Math.max(group, row.group().length());
      topic = Math.max(topic, row.topic().length());
      consumer = Math.max(consumer, row.consumerId().length());
      host = Math.max(host, row.host().length());
    }
    String format = "\n%-" + group + "s %-" + topic + "s %-10s %-15s %-15s %-15s %-" + consumer + "s %-" + host
        + "s %s";
    StringBuilder text = new StringBuilder(String.format(format, "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
        "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"));
    for (Row row : rows) {
      text.append(String.format(format, row.group(), row.topic(), row.partition(), row.currentOffset(),
          row.logEndOffset(), row.lag(), row.consumerId(), row.host(), row.clientId()));
    }
    return text.append('\n').toString();
  }
}
