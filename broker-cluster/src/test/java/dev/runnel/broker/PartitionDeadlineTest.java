package dev.runnel.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.HeldJournalWrite;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each partition is answered on its own: while one partition of a topic cannot answer (its journal write is held,
 * so it stashes everything sent to it, as a partition on a lost node or one moving between nodes does), a
 * Produce to it and another partition answers by the partition request timeout, the other partition stored and
 * the held one REQUEST_TIMED_OUT; a Fetch of both brings the other's records at once; HTTP answers the held one
 * 504 REQUEST_TIMED_OUT, not pekko-http's bare 503.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionDeadlineTest {

  private static final String TOPIC = "deadlines";
  private static final Duration PARTITION_TIMEOUT = Duration.ofSeconds(3);

  private Config config;
  private RunnelNode node;
  private PartitionId held;
  private PartitionId free;

  @BeforeEach
  void start() throws Exception {
    Path dataDir = TestNodes.newDataDir();
    Map<String, Object> extra = Map.of(
        "runnel.broker.partition.request-timeout", PARTITION_TIMEOUT.toMillis() + " ms",
        // The held write waits for its row lock far longer than the test holds it.
        "runnel.persistence.embedded.url-options", ";WRITE_DELAY=0;LOCK_TIMEOUT=100000");
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
  void stop() {
    node.close();
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
        long start = System.nanoTime();
        Future<RecordMetadata> toHeld = producer.send(new ProducerRecord<>(TOPIC, 0, "k", "held"));
        Future<RecordMetadata> toFree = producer.send(new ProducerRecord<>(TOPIC, 1, "k", "free"));
        assertEquals(1, toFree.get(20, TimeUnit.SECONDS).offset(), "the free partition stored its record");
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
  void when_onePartitionCannotAnswer_then_aFetchBringsTheOthersRecordsAtOnce() throws Exception {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    settings.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    settings.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    TopicPartition heldPartition = new TopicPartition(TOPIC, 0);
    TopicPartition freePartition = new TopicPartition(TOPIC, 1);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(settings)) {
      consumer.assign(List.of(heldPartition, freePartition));
      consumer.seekToBeginning(List.of(heldPartition, freePartition));
      // Positions looked up and both partitions fetched up to their end before one is held: from here on, only
      // Fetch requests reach the node.
      List<String> before = new ArrayList<>();
      while (before.size() < 2) {
        consumer.poll(Duration.ofMillis(100)).forEach(record -> before.add(record.value()));
      }
      try (HeldJournalWrite hold = HeldJournalWrite.hold(config, held, 2)) {
        CompletionStage<AppendResult> stuck = node.broker().append(held, batch("held"), (short) 1);
        LogProbe.await(node.broker().append(free, batch("second"), (short) 1));
        long start = System.nanoTime();
        List<ConsumerRecord<String, String>> fromFree = new ArrayList<>();
        while (fromFree.isEmpty() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
          for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
            assertEquals(1, record.partition(), "nothing from the held partition yet");
            fromFree.add(record);
          }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(List.of("second"), fromFree.stream().map(ConsumerRecord::value).toList());
        assertTrue(took.compareTo(PARTITION_TIMEOUT) < 0,
            "the free partition's record came before the held one's deadline: " + took);
        assertTrue(stuck.toCompletableFuture().getNow(null) == null, "the held partition is still held");
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
