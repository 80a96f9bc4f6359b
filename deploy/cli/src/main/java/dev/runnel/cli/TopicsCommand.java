package dev.runnel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code topics create|list|describe|alter|delete}, like {@code kafka-topics} and {@code kafka-configs}. */
@Command(name = "topics", description = "Create, list, describe, alter and delete topics.",
    subcommands = {TopicsCommand.Create.class, TopicsCommand.ListTopics.class, TopicsCommand.Describe.class,
        TopicsCommand.Alter.class, TopicsCommand.Delete.class})
final class TopicsCommand extends CliCommand {

  @Override
  public void run() {
    throw usage("Missing a topics command: create, list, describe, alter or delete");
  }

  static String path(String topic) {
    return "/topics/" + BrokerClient.segment(topic);
  }

  /** Repeated {@code --config KEY=VALUE} options as an object of strings. */
  static ObjectNode configs(CliCommand command, List<String> pairs) {
    ObjectNode configs = BrokerClient.object();
    for (String pair : pairs) {
      String[] kv = command.keyValue(pair, "--config");
      configs.put(kv[0], kv[1]);
    }
    return configs;
  }

  @Command(name = "create", description = "Create a topic.")
  static final class Create extends CliCommand {
    @Parameters(paramLabel = "TOPIC", description = "The topic's name (ASCII letters, digits, '.', '_', '-').")
    String topic;

    @Option(names = "--partitions", paramLabel = "N",
        description = "Number of partitions (default: the broker's runnel.broker.num-partitions).")
    Integer partitions;

    @Option(names = "--config", paramLabel = "KEY=VALUE",
        description = "A topic config, e.g. retention.ms=86400000; repeatable.")
    List<String> configs = new ArrayList<>();

    @Override
    public void run() {
      ObjectNode body = BrokerClient.object().put("name", topic);
      if (partitions != null) {
        body.put("partitions", partitions);
      }
      body.set("configs", configs(this, configs));
      JsonNode created = client().post("/topics", body);
      if (json()) {
        printJson(created);
      } else {
        out().println("Created topic " + created.path("name").asText() + " with "
            + created.path("partitions").asInt() + " partition(s).");
      }
    }
  }

  @Command(name = "list", description = "List every topic with its partition count and config overrides.")
  static final class ListTopics extends CliCommand {
    @Override
    public void run() {
      JsonNode topics = client().get("/topics");
      if (json()) {
        printJson(topics);
        return;
      }
      Table table = new Table("TOPIC", "PARTITIONS", "TOPIC-ID", "CONFIGS");
      for (JsonNode topic : topics) {
        List<String> overrides = new ArrayList<>();
        topic.path("configs").fields().forEachRemaining(e -> overrides.add(e.getKey() + "=" + e.getValue().asText()));
        table.row(topic.path("name").asText(), topic.path("partitions").asInt(), topic.path("topic_id").asText(),
            overrides.isEmpty() ? "-" : String.join(",", overrides));
      }
      table.print(out());
    }
  }

  @Command(name = "describe", description = "Show a topic's partitions (offsets, size) and every config.")
  static final class Describe extends CliCommand {
    @Parameters(paramLabel = "TOPIC", description = "The topic.")
    String topic;

    @Override
    public void run() {
      show(this, client().get(path(topic)));
    }
  }

  static void show(CliCommand command, JsonNode topic) {
    if (command.json()) {
      command.printJson(topic);
      return;
    }
    command.out().println("Topic: " + topic.path("name").asText() + "  TopicId: " + topic.path("topic_id").asText()
        + "  PartitionCount: " + topic.path("partitions").size());
    command.out().println();
    Table partitions = new Table("PARTITION", "LOG-START-OFFSET", "LOG-END-OFFSET", "SIZE-BYTES");
    for (JsonNode p : topic.path("partitions")) {
      partitions.row(p.path("partition").asInt(), p.path("log_start_offset").asLong(),
          p.path("log_end_offset").asLong(), p.path("size_in_bytes").asLong());
    }
    partitions.print(command.out());
    command.out().println();
    Table configs = new Table("CONFIG", "VALUE", "SOURCE");
    for (JsonNode c : topic.path("configs")) {
      configs.row(c.path("name").asText(), c.path("value").asText(),
          c.path("overridden").asBoolean() ? "topic" : "default");
    }
    configs.print(command.out());
  }

  @Command(name = "alter", description = {"Add partitions, set or remove config overrides.",
      "Configs not named keep their current values (like kafka-configs --alter)."})
  static final class Alter extends CliCommand {
    @Parameters(paramLabel = "TOPIC", description = "The topic.")
    String topic;

    @Option(names = "--partitions", paramLabel = "N", description = "The new total number of partitions (larger).")
    Integer partitions;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Set a config override; repeatable.")
    List<String> set = new ArrayList<>();

    @Option(names = "--delete-config", paramLabel = "KEY",
        description = "Remove a config override (back to the broker default); repeatable.")
    List<String> removed = new ArrayList<>();

    @Override
    public void run() {
      if (partitions == null && set.isEmpty() && removed.isEmpty()) {
        throw usage("Nothing to alter: give --partitions, --config or --delete-config");
      }
      ObjectNode changes = configs(this, set);
      BrokerClient client = client();
      if (partitions != null) {
        client.post(path(topic) + "/partitions", BrokerClient.object().put("partitions", partitions));
      }
      if (!set.isEmpty() || !removed.isEmpty()) {
        // The HTTP API's PUT replaces all overrides (Kafka's AlterConfigs): merge into the current ones first.
        Map<String, String> overrides = new LinkedHashMap<>();
        for (JsonNode c : client.get(path(topic)).path("configs")) {
          if (c.path("overridden").asBoolean()) {
            overrides.put(c.path("name").asText(), c.path("value").asText());
          }
        }
        removed.forEach(overrides::remove);
        for (Iterator<Map.Entry<String, JsonNode>> it = changes.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> change = it.next();
          overrides.put(change.getKey(), change.getValue().asText());
        }
        ObjectNode configs = BrokerClient.object();
        overrides.forEach(configs::put);
        ObjectNode body = BrokerClient.object();
        body.set("configs", configs);
        client.put(path(topic) + "/configs", body);
      }
      show(this, client.get(path(topic)));
    }
  }

  @Command(name = "delete", description = "Delete a topic and all its records.")
  static final class Delete extends CliCommand {
    @Parameters(paramLabel = "TOPIC", description = "The topic.")
    String topic;

    @Override
    public void run() {
      JsonNode deleted = client().delete(path(topic));
      if (json()) {
        printJson(deleted);
      } else {
        out().println("Deleted topic " + deleted.path("name").asText() + ".");
      }
    }
  }
}
