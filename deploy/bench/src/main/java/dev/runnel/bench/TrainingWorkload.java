package dev.runnel.bench;

import com.typesafe.config.ConfigFactory;
import dev.runnel.bench.kafka.AssignedEndToEndLatency;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.Subscription;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The traffic of the launcher's AOT training run ({@code deploy/bin/runnel} on Java 25 or later): drives a node
 * the way Kafka's tools and Runnel's own client do, so that the node's JVM records which classes it loads and
 * which methods run hot, and the next start of the same build begins with them loaded and profiled. Produce with
 * acks=1 and acks=all (idempotent), every compression codec, fetches from the tail cache and from the segment files,
 * a consumer group committing offsets, one-record round trips, the native protocol and the HTTP API. Asserts
 * nothing beyond each step's own success: a step that fails ends the run with its error, and the launcher starts
 * without a cache.
 *
 * <p>Usage: {@code TrainingWorkload KAFKA_HOST:PORT HTTP_HOST:PORT [RECORDS]}
 */
public final class TrainingWorkload {

  private static final int RECORD_SIZE = 100;
  private static final Duration STEP_TIMEOUT = Duration.ofMinutes(2);

  private TrainingWorkload() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String http = "http://" + args[1];
    int records = args.length > 2 ? Integer.parseInt(args[2]) : 400_000;
    byte[] value = new byte[RECORD_SIZE];
    new Random(1).nextBytes(value);

    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      createTopic(admin, "training-1", 1);
      createTopic(admin, "training-4", 4);
    }
    TopicPartition single = new TopicPartition("training-1", 0);
    produce(bootstrap, "training-1", Map.of(ProducerConfig.ACKS_CONFIG, "1",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false), records, value);
    produce(bootstrap, "training-1", Map.of(ProducerConfig.ACKS_CONFIG, "all"), records, value);
    for (String codec : List.of("gzip", "snappy", "lz4", "zstd")) {
      produce(bootstrap, "training-4", Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec), records / 20, value);
    }
    consumeAssigned(bootstrap, single, 2L * records);
    consumeAssigned(bootstrap, single, 2L * records);
    consumeInGroup(bootstrap, "training-4", records / 5);
    AssignedEndToEndLatency.latencies(bootstrap, single.topic(), Math.max(1_000, records / 100), value);
    nativeProtocol(http, "training-4", records / 4, value);
    httpApi(http);
    System.out.println("training workload done");
  }

  private static void createTopic(Admin admin, String name, int partitions) throws Exception {
    try {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all()
          .get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }

  /** As ProducerPerformance does: sends without waiting, then waits for every acknowledgement. */
  private static void produce(String bootstrap, String topic, Map<String, Object> settings, int count, byte[] value)
      throws Exception {
    Map<String, Object> config = new HashMap<>(settings);
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
      List<Future<?>> pending = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        byte[] key = (i % 10 == 0) ? Integer.toString(i % 1_000).getBytes() : null;
        pending.add(producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, key, value)));
        if (pending.size() == 10_000) {
          await(pending);
        }
      }
      await(pending);
    }
  }

  private static void await(List<Future<?>> pending) throws Exception {
    for (Future<?> future : pending) {
      future.get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
    pending.clear();
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, Map<String, Object> settings) {
    Map<String, Object> config = new HashMap<>(settings);
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return new KafkaConsumer<>(config);
  }

  private static void consumeAssigned(String bootstrap, TopicPartition partition, long count) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, Map.of())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
      for (long seen = 0; seen < count; ) {
        seen += consumer.poll(Duration.ofMillis(500)).count();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("read " + seen + " of " + count + " records of " + partition);
        }
      }
    }
  }

  private static void consumeInGroup(String bootstrap, String topic, long count) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, Map.of(
        ConsumerConfig.GROUP_ID_CONFIG, "training",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false))) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
      for (long seen = 0; seen < count; ) {
        ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(500));
        seen += polled.count();
        if (!polled.isEmpty()) {
          consumer.commitSync();
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the group read " + seen + " of " + count + " records of " + topic);
        }
      }
    }
  }

  private static void nativeProtocol(String http, String topic, int count, byte[] value) throws Exception {
    ActorSystem client = ActorSystem.create("training-client", ConfigFactory
        .parseString("pekko.actor.provider = local, pekko.loglevel = WARNING")
        .withFallback(ConfigFactory.load()));
    try {
      String url = http.replace("http://", "ws://");
      Source.range(1, count)
          .map(i -> ProducerRecord.of(topic, value))
          .runWith(Producer.plainSink(ProducerSettings.create(client).withBootstrap(url)), client)
          .toCompletableFuture().get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      Consumer.plainSource(ConsumerSettings.create(client).withBootstrap(url),
              Subscription.earliest(topic, IntStream.range(0, 4).toArray()))
          .take(count)
          .runWith(Sink.ignore(), client)
          .toCompletableFuture().get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static void httpApi(String http) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    for (String path : List.of("/health", "/topics", "/topics/training-4", "/groups", "/groups/training",
        "/cluster", "/metrics")) {
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(URI.create(http + path)).timeout(STEP_TIMEOUT).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("GET " + path + " answered " + response.statusCode());
      }
    }
  }
}
