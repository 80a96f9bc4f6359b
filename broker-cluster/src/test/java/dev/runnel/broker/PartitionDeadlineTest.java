package dev.runnel.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.ClusterNodes;
import dev.runnel.broker.testkit.HeldJournalWrite;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each partition is answered on its own: while one partition of a topic cannot answer (its journal write is held,
 * so it stashes everything sent to it, as a partition on a lost node or one moving between nodes does), a
 * Produce to it and another partition answers by the partition request timeout, the held one REQUEST_TIMED_OUT; HTTP answers the held one 504 REQUEST_TIMED_OUT, not pekko-http's bare 503.
 * (Fetch: {@code KafkaFetchDeadlineTest}.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionDeadlineTest {

  private static final String TOPIC = "deadlines";
  private static final Duration PARTITION_TIMEOUT = Duration.ofSeconds(3);

  private String database;
  private Config config;
  private RunnelNode node;
  private PartitionId held;
  private PartitionId free;

  @BeforeEach
  void start() throws Exception {
    Path dataDir = TestNodes.newDataDir();
    // PostgreSQL, not H2: a held insert there makes only inserts of the same key wait, where H2 holds back the other
    // partitions' inserts behind it too (a journal of the node's own would then stall as a whole).
    database = ClusterNodes.createDatabase();
    Map<String, Object> extra = Map.of(
        "runnel.broker.partition.request-timeout", PARTITION_TIMEOUT.toMillis() + " ms",
        "runnel.persistence.profile", "postgres",
        "runnel.persistence.postgres.url", ClusterNodes.databaseUrl(database));
    config = TestNodes.config(dataDir, extra);
    node = TestNodes.start(dataDir, extra);
    LogProbe.await(node.broker().createTopic(TOPIC, 2, Map.of()));
    held = node.broker().partition(TOPIC, 0);
    free = node.broker().partition(TOPIC, 1);
    for (PartitionId partition : List.of(held, free)) {
      AppendResult first = LogProbe.await(node.broker().append(partition, batch("first"), (short) 1));
      assertEquals(0, first.baseOffset(), "first record of " + partition);
    }
  }

  @AfterEach
  void stop() throws Exception {
    node.close();
    ClusterNodes.dropDatabase(database);
  }

  private static java.nio.ByteBuffer batch(String value) {
    return LogProbe.batch(System.currentTimeMillis(), List.of("k"), List.of(value));
  }

  private String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  @Test
  void when_onePartitionCannotAnswer_then_aProduceAnswersTheOtherByThePartitionTimeout() throws Exception {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    settings.put(ProducerConfig.ACKS_CONFIG, "1");
    settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    settings.put(ProducerConfig.RETRIES_CONFIG, 0);
    // Both partitions' records in one Produce request.
    settings.put(ProducerConfig.LINGER_MS_CONFIG, 200);
    settings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    settings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(settings)) {
      producer.partitionsFor(TOPIC);
      try (HeldJournalWrite hold = HeldJournalWrite.hold(config, held, 2)) {
        // The held partition's write is in the database before the request comes. pekko-persistence-jdbc completes
        // a node's writes in the order it sent them, so the free partition's write, though stored, may only be
        // acknowledged after the held one: what this shows is that the request is answered by the partition
        // timeout whatever a partition does, not that a held journal write on the same node leaves the others free
        // (a partition on another node, which is what the deadline is for, holds back no local write).
        node.broker().append(held, batch("stuck"), (short) 1);
        hold.awaitBlockedWrite(Duration.ofSeconds(10));
        long start = System.nanoTime();
        Future<RecordMetadata> toHeld = producer.send(new ProducerRecord<>(TOPIC, 0, "k", "held"));
        Future<RecordMetadata> toFree = producer.send(new ProducerRecord<>(TOPIC, 1, "k", "free"));
        try {
          assertEquals(1, toFree.get(20, TimeUnit.SECONDS).offset(), "the free partition stored its record");
        } catch (ExecutionException behindTheHeldWrite) {
          assertInstanceOf(TimeoutException.class, behindTheHeldWrite.getCause(), "the free partition's answer");
        }
        ExecutionException timedOut = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
            () -> toHeld.get(20, TimeUnit.SECONDS));
        assertInstanceOf(TimeoutException.class, timedOut.getCause(), "REQUEST_TIMED_OUT for the held partition");
        Duration answered = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(answered.compareTo(PARTITION_TIMEOUT.plusSeconds(3)) < 0,
            "the request was answered by the partition timeout, well before the client's 30 s: " + answered);
      }
    }
  }

  @Test
  void when_aPartitionCannotAnswer_then_httpAnswers504RequestTimedOut() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    try (HeldJournalWrite hold = HeldJournalWrite.hold(config, held, 2)) {
      long start = System.nanoTime();
      HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
              + node.httpPort() + "/topics/" + TOPIC + "/records")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"records\": [{\"value\": \"x\", \"partition\": 0}]}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertEquals(504, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains("REQUEST_TIMED_OUT"), answer.body());
      assertTrue(took.compareTo(PARTITION_TIMEOUT.plusSeconds(3)) < 0, "answered by the partition timeout: " + took);
    }
  }

  @Test
  void when_httpWaitsOutlastPekkoHttpsRequestTimeout_then_theNodeRefusesToStart() {
    IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> dev.runnel.broker.http.HttpSettings.create(TestNodes.config(TestNodes.newDataDir(),
            Map.of("pekko.http.server.request-timeout", "15 s"))));
    assertTrue(refused.getMessage().contains("pekko.http.server.request-timeout"), refused.getMessage());
  }
}
