package dev.runnel.broker.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.Subscription;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /metrics} scraped while records go in and out through the Kafka protocol and the native client: the
 * traffic counters move by exactly what was sent, the offsets and sizes are the partitions', the lag series equal
 * {@code GET /groups/{id}}, and the whole exposition parses with the Prometheus client library's own parser.
 */
@Timeout(120)
class MetricsTest {

  private static final String TOPIC = "metered";
  private static final String GROUP = "meter-readers";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static RunnelNode node;
  private static ActorSystem client;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.group.initial-rebalance-delay", "0 s"));
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    await(node.broker().createTopic(TOPIC, 2, Map.of()));
  }

  @AfterAll
  static void stop() throws Exception {
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    node.close();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static String get(String path, String accept) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + node.httpPort() + path))
            .timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith(accept),
        response.headers().toString());
    return response.body();
  }

  private static PrometheusSamples scrape() throws Exception {
    return PrometheusSamples.parse(get("/metrics", "text/plain"));
  }

  private static Map<String, String> partition(int partition) {
    return Map.of("topic", TOPIC, "partition", Integer.toString(partition));
  }

  private static double value(PrometheusSamples samples, String name, Map<String, String> labels) {
    return samples.value(name, labels).orElseThrow(() -> new AssertionError("no sample " + name + labels + " in "
        + samples.samples().stream().filter(s -> s.name().startsWith("runnel")).toList()));
  }

  private static Map<String, Object> kafkaConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort());
    return config;
  }

  @Test
  void when_recordsFlowThroughEveryDoor_then_theMetricsCountThemAndTheLagMatchesTheGroupsApi() throws Exception {
    Map<String, Object> producerConfig = kafkaConfig();
    producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig)) {
      for (int i = 0; i < 150; i++) {
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(TOPIC, i < 100 ? 0 : 1, "k" + i,
            "value-" + i)).get(30, TimeUnit.SECONDS);
      }
    }
    // 30 more to partition 1 through the native protocol.
    List<ProducerRecord> natives = IntStream.range(0, 30)
        .mapToObj(i -> ProducerRecord.of(TOPIC, ("native-" + i).getBytes(StandardCharsets.UTF_8)).withPartition(1))
        .toList();
    await(Source.from(natives)
        .via(Producer.flow(ProducerSettings.create(client).withBootstrap("ws://127.0.0.1:" + node.httpPort())))
        .runWith(Sink.ignore(), client));

    PrometheusSamples written = scrape();
    assertEquals(100, value(written, "runnel_partition_received_records_total", partition(0)));
    assertEquals(80, value(written, "runnel_partition_received_records_total", partition(1)));
    assertEquals(100, value(written, "runnel_partition_log_end_offset", partition(0)));
    assertEquals(80, value(written, "runnel_partition_log_end_offset", partition(1)));
    assertEquals(0, value(written, "runnel_partition_log_start_offset", partition(0)));
    for (int p = 0; p < 2; p++) {
      // Nothing was compacted or deleted: the partition holds exactly the batch bytes it received.
      assertEquals(await(node.broker().status(node.broker().partition(TOPIC, p))).sizeInBytes(),
          value(written, "runnel_partition_size_bytes", partition(p)));
      assertEquals(value(written, "runnel_partition_size_bytes", partition(p)),
          value(written, "runnel_partition_received_bytes_total", partition(p)));
    }
    assertTrue(written.sum("runnel_kafka_requests_seconds_count", Map.of("api", "Produce")) >= 150);
    assertTrue(written.sum("runnel_journal_write_seconds_count", Map.of()) >= 1);
    assertTrue(written.sum("runnel_group_commit_appends_count", Map.of()) >= 1);

    Map<String, Object> consumerConfig = kafkaConfig();
    consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
    consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig)) {
      consumer.subscribe(List.of(TOPIC));
      int read = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (read < 180 && System.nanoTime() < deadline) {
        read += consumer.poll(Duration.ofMillis(200)).count();
      }
      assertEquals(180, read);
      consumer.commitSync(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(60),
          new TopicPartition(TOPIC, 1), new OffsetAndMetadata(80)));

      PrometheusSamples consumed = scrape();
      assertEquals(100, value(consumed, "runnel_partition_sent_records_total", partition(0)));
      assertEquals(80, value(consumed, "runnel_partition_sent_records_total", partition(1)));
      assertEquals(value(consumed, "runnel_partition_received_bytes_total", partition(0)),
          value(consumed, "runnel_partition_sent_bytes_total", partition(0)));
      assertTrue(value(consumed, "runnel_connections", Map.of("door", "kafka")) >= 1);
      assertEquals(1, value(consumed, "runnel_consumer_group_members", Map.of("group", GROUP)));
      assertTrue(value(consumed, "runnel_consumer_group_generation", Map.of("group", GROUP)) >= 1);

      JsonNode groupLag = JSON.readTree(get("/groups/" + GROUP, "application/json")).path("partitions");
      double sum = 0;
      for (JsonNode lag : groupLag) {
        Map<String, String> labels = Map.of("group", GROUP, "topic", lag.path("topic").asText(),
            "partition", lag.path("partition").asText());
        assertEquals(lag.path("lag").asDouble(), value(consumed, "runnel_consumer_group_lag", labels), labels::toString);
        sum += lag.path("lag").asDouble();
      }
      assertEquals(2, groupLag.size(), groupLag.toString());
      assertEquals(40, sum);
      assertEquals(sum, value(consumed, "runnel_consumer_group_lag_sum", Map.of("group", GROUP)));
    }

    List<ConsumerRecord> nativeRead = await(dev.runnel.client.Consumer.plainSource(ConsumerSettings.create(client)
            .withBootstrap("ws://127.0.0.1:" + node.httpPort()), Subscription.earliest(TOPIC, 1))
        .take(80)
        .runWith(Sink.seq(), client));
    assertEquals(80, nativeRead.size());
    PrometheusSamples both = scrape();
    assertEquals(160, value(both, "runnel_partition_sent_records_total", partition(1)));

    // Every series the Grafana dashboard queries is one a node exposes (all exist by now).
    Set<String> exposed = both.samples().stream().map(PrometheusSamples.Sample::name).collect(Collectors.toSet());
    JsonNode dashboard = JSON.readTree(Files.readString(Path.of("../deploy/grafana/runnel-dashboard.json")));
    Pattern series = Pattern.compile("\\b((?:runnel|jvm|process)_[a-z_]+)");
    int queried = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        Matcher matcher = series.matcher(target.path("expr").asText());
        while (matcher.find()) {
          queried++;
          assertTrue(exposed.contains(matcher.group(1)),
              panel.path("title").asText() + " queries " + matcher.group(1) + ", which no node exposes");
        }
      }
    }
    assertTrue(queried >= 10, "dashboard queries " + queried + " series");
  }

  @Test
  void when_aRequestFails_then_itsErrorIsCountedByApiAndKafkaName() throws Exception {
    try (Admin admin = Admin.create(kafkaConfig())) {
      ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> admin.describeTopics(List.of("no-such-topic")).allTopicNames().get(30, TimeUnit.SECONDS));
      assertTrue(failure.getCause() instanceof UnknownTopicOrPartitionException, failure.toString());
    }
    PrometheusSamples samples = scrape();
    assertTrue(value(samples, "runnel_kafka_errors_total",
        Map.of("api", "Metadata", "error", "UNKNOWN_TOPIC_OR_PARTITION")) >= 1);
    assertEquals(1, value(samples, "runnel_cluster_members", Map.of("status", "Up", "reachable", "true")));
    // A partition asked for its status runs on this node, so its shard is hosted here. The shard gauges are read
    // within the collect timeout of a scrape; under load an early scrape may not have them yet.
    await(node.broker().status(node.broker().partition(TOPIC, 0)));
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> scrape()
        .value("runnel_cluster_shards", Map.of("entity", "partition")).orElse(0.0) >= 1);
    assertTrue(samples.sum("jvm_memory_used_bytes", Map.of()) > 0);
    assertTrue(value(samples, "process_uptime_seconds", Map.of()) > 0);
  }
}
