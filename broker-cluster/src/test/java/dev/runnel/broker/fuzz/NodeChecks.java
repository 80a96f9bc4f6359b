package dev.runnel.broker.fuzz;

import dev.runnel.broker.RunnelNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What must hold after every fuzz round, checked with clients nobody here wrote: the node answers HTTP, a
 * kafka-clients producer and consumer work, the canary topic holds exactly what was written to it before the
 * fuzzing, and every partition of every other topic (the ones the fuzzer may have written to) is readable to its
 * end by kafka-clients' {@code KafkaConsumer}. Not thread-safe: one round checks at a time.
 */
final class NodeChecks implements AutoCloseable {

  static final String CANARY = "canary";
  static final String LIVENESS = "liveness";
  private static final int CANARY_RECORDS = 200;
  private static final Duration READ_BOUND = Duration.ofSeconds(30);

  private final RunnelNode node;
  private final Admin admin;
  private final KafkaProducer<String, String> producer;
  private final KafkaConsumer<String, String> consumer;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private int round;

  NodeChecks(RunnelNode node) throws Exception {
    this.node = node;
    String bootstrap = "127.0.0.1:" + node.kafkaPort();
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    Map<String, Object> producerConfig = new HashMap<>();
    producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    producer = new KafkaProducer<>(producerConfig);
    Map<String, Object> consumerConfig = new HashMap<>();
    consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer = new KafkaConsumer<>(consumerConfig);
    admin.createTopics(List.of(new NewTopic(CANARY, 2, (short) 1), new NewTopic(LIVENESS, 1, (short) 1)))
        .all().get(30, TimeUnit.SECONDS);
    for (int i = 0; i < CANARY_RECORDS; i++) {
      producer.send(new ProducerRecord<>(CANARY, i % 2, "k" + i, canaryValue(i)));
    }
    producer.flush();
  }

  private static String canaryValue(int i) {
    return "canary-" + i + "-" + "c".repeat(i % 50);
  }

  /** The problems found now; empty when all is well. */
  List<String> check() {
    round++;
    List<String> problems = new ArrayList<>();
    try {
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + node.httpPort() + "/health")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (health.statusCode() != 200) {
        problems.add("GET /health answered " + health.statusCode() + ": " + health.body());
      }
    } catch (IOException e) {
      problems.add("GET /health failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      problems.add("interrupted");
      return problems;
    }
    try {
      String value = "round-" + round;
      long offset = producer.send(new ProducerRecord<>(LIVENESS, 0, "live", value)).get(30, TimeUnit.SECONDS)
          .offset();
      List<ConsumerRecord<String, String>> read = readAll(new TopicPartition(LIVENESS, 0), problems);
      if (read.isEmpty() || read.get(read.size() - 1).offset() != offset
          || !value.equals(read.get(read.size() - 1).value())) {
        problems.add("kafka-clients did not read back the record it produced at " + LIVENESS + "-0@" + offset);
      }
    } catch (Exception e) {
      problems.add("kafka-clients produce failed: " + e);
    }
    checkCanary(problems);
    try {
      Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
      for (TopicDescription topic : described.values()) {
        if (topic.name().equals(CANARY) || topic.name().equals(LIVENESS)) {
          continue;
        }
        topic.partitions().forEach(p -> readAll(new TopicPartition(topic.name(), p.partition()), problems));
      }
    } catch (Exception e) {
      problems.add("listing topics failed: " + e);
    }
    return problems;
  }

  private void checkCanary(List<String> problems) {
    List<String> values = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      for (ConsumerRecord<String, String> record : readAll(new TopicPartition(CANARY, p), problems)) {
        values.add(record.value());
      }
    }
    List<String> expected = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      for (int i = p; i < CANARY_RECORDS; i += 2) {
        expected.add(canaryValue(i));
      }
    }
    if (!values.equals(expected)) {
      problems.add("the canary changed: " + values.size() + " records, expected " + expected.size());
    }
  }

  /** Every record of the partition from its start to its end offset, as kafka-clients reads it. */
  private List<ConsumerRecord<String, String>> readAll(TopicPartition partition, List<String> problems) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition), READ_BOUND).get(partition);
      long deadline = System.nanoTime() + READ_BOUND.toNanos();
      while (consumer.position(partition, READ_BOUND) < end) {
        if (System.nanoTime() > deadline) {
          problems.add(partition + " not readable to its end " + end + " in " + READ_BOUND + ": stuck at "
              + consumer.position(partition));
          return records;
        }
        consumer.poll(Duration.ofMillis(200)).records(partition).forEach(records::add);
      }
    } catch (RuntimeException e) {
      problems.add(partition + " unreadable by kafka-clients: " + e);
    }
    return records;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
    producer.close(Duration.ofSeconds(5));
    admin.close(Duration.ofSeconds(5));
  }
}
