package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.kafka.streams.StreamsApplications;
import dev.runnel.broker.testkit.TestNodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kafka Streams 4.3.1 applications ({@link StreamsApplications}), unchanged and on their own kafka-clients 4.3.1 as
 * an application would run them, against an in-process node: a stateless topology, a word count whose
 * KTable lives in a changelog topic and is fed through a repartition topic (both created by Streams with its own
 * topic configs), state restored from the changelog by a new instance on an empty state directory, and a windowed
 * revenue aggregation like the seeds' {@code hourly-revenue}, also restored by a new instance. Streams also purges
 * its repartition topic with DeleteRecords, and reads offsets with ListOffsets.
 *
 * <p>Most run with {@code processing.guarantee=at_least_once}, where an output topic may hold an update twice after
 * a restart, so those tests check each key's newest value, which is exact either way. The word count also runs with
 * {@code exactly_once_v2} (Streams' transactional producers, offsets sent to the transaction, read_committed
 * changelog restores), where every single update is checked: each word's counts appear once each, in order.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class KafkaStreamsTest {

  private static final ClassLoader STREAMS = streamsClassLoader();

  private static RunnelNode node;
  private static Admin admin;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.group.initial-rebalance-delay", "0 s"));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
  }

  @AfterAll
  static void stop() {
    admin.close();
    node.close();
  }

  private static String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  @Test
  void when_aStatelessTopologyRuns_then_everyRecordIsTransformedInOrder() throws Exception {
    admin.createTopics(List.of(new NewTopic("stateless-in", 1, (short) 1), new NewTopic("stateless-out", 1, (short) 1)))
        .all().get();
    try (AutoCloseable streams = start("stateless", "stateless-app", newStateDir())) {
      produceStrings("stateless-in", List.of("a", " ", "b", "c"));
      List<String> seen = new CopyOnWriteArrayList<>();
      consume("stateless-out", new StringDeserializer(), record -> seen.add(record.value()),
          () -> seen.size() >= 3);
      assertEquals(List.of("A", "B", "C"), seen, "the blank line filtered out, the rest upper-cased in order");
    }
  }

  @Test
  void when_wordCountRestartsOnAnEmptyStateDir_then_itsCountsAreRestoredFromTheChangelogAndStayExact()
      throws Exception {
    admin.createTopics(List.of(new NewTopic("lines", 2, (short) 1), new NewTopic("word-counts", 2, (short) 1)))
        .all().get();
    try (AutoCloseable streams = start("word-count", "word-count", newStateDir())) {
      produceStrings("lines", List.of("the quick fox", "the lazy dog", "the end"));
      awaitCounts(Map.of("the", 3L, "quick", 1L, "fox", 1L, "lazy", 1L, "dog", 1L, "end", 1L));
      // Streams purges what it has consumed of its repartition topic with DeleteRecords.
      await().atMost(Duration.ofSeconds(30)).until(() -> repartitionLogStart() > 0);
    }

    // Streams made its internal topics with its own configs: a compacted changelog, a repartition topic.
    ConfigResource changelog = new ConfigResource(ConfigResource.Type.TOPIC, "word-count-counts-changelog");
    ConfigResource repartition = new ConfigResource(ConfigResource.Type.TOPIC, "word-count-words-repartition");
    Map<ConfigResource, Config> internal = admin.describeConfigs(List.of(changelog, repartition)).all().get();
    assertEquals("compact", internal.get(changelog).get("cleanup.policy").value());
    assertEquals("CreateTime", internal.get(repartition).get("message.timestamp.type").value());
    assertEquals("-1", internal.get(repartition).get("retention.ms").value());

    // A new instance with nothing on disk: the counts can only come from the changelog.
    try (AutoCloseable streams = start("word-count", "word-count", newStateDir())) {
      produceStrings("lines", List.of("the fox is back"));
      awaitCounts(Map.of("the", 4L, "quick", 1L, "fox", 2L, "lazy", 1L, "dog", 1L, "end", 1L, "is", 1L,
          "back", 1L));
    }
  }

  @Test
  void when_anExactlyOnceWordCountRestartsOnAnEmptyStateDir_then_eachCountUpdateIsWrittenExactlyOnce()
      throws Exception {
    admin.createTopics(List.of(new NewTopic("eos-lines", 2, (short) 1), new NewTopic("eos-word-counts", 2, (short) 1)))
        .all().get();
    try (AutoCloseable streams = start("word-count-eos", "word-count-eos", newStateDir(), "exactly_once_v2")) {
      produceStrings("eos-lines", List.of("the quick fox", "the lazy dog", "the end"));
      awaitUpdates(Map.of("the", 3L, "quick", 1L, "fox", 1L, "lazy", 1L, "dog", 1L, "end", 1L));
      // Streams' producers are transactional: their ids are listed by the transaction coordinators.
      assertTrue(admin.listTransactions().all().get().stream()
              .anyMatch(listing -> listing.transactionalId().startsWith("word-count-eos-")),
          "the application's transactional producers are known to the coordinators");
    }
    // The new instance restores its counts from the changelog (read_committed under exactly_once_v2).
    try (AutoCloseable streams = start("word-count-eos", "word-count-eos", newStateDir(), "exactly_once_v2")) {
      produceStrings("eos-lines", List.of("the fox is back"));
      awaitUpdates(Map.of("the", 4L, "quick", 1L, "fox", 2L, "lazy", 1L, "dog", 1L, "end", 1L, "is", 1L,
          "back", 1L));
    }
  }

  /**
   * Reads every update of the exactly-once word count (read_committed) until each word reached its count in
   * {@code expected}, and checks that each word's updates are 1, 2, … its count: none lost, none twice.
   */
  private void awaitUpdates(Map<String, Long> expected) {
    Map<String, List<Long>> updates = new ConcurrentHashMap<>();
    Map<String, Long> latest = new ConcurrentHashMap<>();
    consume("eos-word-counts", new LongDeserializer(), Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        record -> {
          updates.computeIfAbsent(record.key(), word -> new CopyOnWriteArrayList<>()).add(record.value());
          latest.put(record.key(), record.value());
        },
        () -> latest.equals(expected));
    expected.forEach((word, count) -> assertEquals(
        LongStream.rangeClosed(1, count).boxed().toList(), updates.get(word), "every count of '" + word + "' once"));
  }

  @Test
  void when_ordersAreAggregatedInHourlyWindows_then_eachWindowHoldsTheExactRevenueAlsoAfterARestart() throws Exception {
    admin.createTopics(List.of(new NewTopic("orders", 2, (short) 1), new NewTopic("hourly-revenue", 1, (short) 1)))
        .all().get();
    // Event time: each order carries its own timestamp, hours in the past, out of order across the hours.
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    Instant next = hour.plus(Duration.ofHours(1));
    try (KafkaProducer<String, Long> producer = new KafkaProducer<>(producerConfig(), new StringSerializer(),
        new LongSerializer())) {
      try (AutoCloseable streams = start("hourly-revenue", "revenue-app", newStateDir())) {
        send(producer, "shop-a", 100, hour.plusSeconds(60));
        send(producer, "shop-b", 7, hour.plusSeconds(120));
        send(producer, "shop-a", 250, next.plusSeconds(5));
        send(producer, "shop-a", 50, hour.plusSeconds(3599));
        send(producer, "shop-b", 3, next.plusSeconds(1800));
        send(producer, "shop-a", 1, next.minusMillis(1));
        awaitRevenue(Map.of(
            "shop-a@" + hour, 151L, "shop-b@" + hour, 7L, "shop-a@" + next, 250L, "shop-b@" + next, 3L));
      }

      // A new instance with nothing on disk adds to the windows' totals kept in the windowed store's changelog.
      try (AutoCloseable streams = start("hourly-revenue", "revenue-app", newStateDir())) {
        send(producer, "shop-a", 10, hour.plusSeconds(10));
        send(producer, "shop-b", 5, next.plusSeconds(10));
        awaitRevenue(Map.of(
            "shop-a@" + hour, 161L, "shop-b@" + hour, 7L, "shop-a@" + next, 250L, "shop-b@" + next, 8L));
      }
    }
  }

  private void awaitRevenue(Map<String, Long> expected) {
    Map<String, Long> latest = new ConcurrentHashMap<>();
    consume("hourly-revenue", new LongDeserializer(), record -> latest.put(record.key(), record.value()),
        () -> latest.equals(expected));
    assertEquals(expected, latest, "the newest total of each shop and hour");
  }

  /** The sum of the log start offsets of the word count's repartition topic. */
  private static long repartitionLogStart() throws Exception {
    Map<TopicPartition, OffsetSpec> earliest = Map.of(
        new TopicPartition("word-count-words-repartition", 0), OffsetSpec.earliest(),
        new TopicPartition("word-count-words-repartition", 1), OffsetSpec.earliest());
    return admin.listOffsets(earliest).all().get().values().stream().mapToLong(info -> info.offset()).sum();
  }

  private void awaitCounts(Map<String, Long> expected) {
    Map<String, Long> latest = new ConcurrentHashMap<>();
    consume("word-counts", new LongDeserializer(), record -> latest.put(record.key(), record.value()),
        () -> latest.equals(expected));
    assertEquals(expected, latest, "the newest count of each word");
  }

  /** Starts one of {@link StreamsApplications}' topologies, in the Streams class loader, and waits until it runs. */
  private static AutoCloseable start(String topology, String applicationId, Path stateDir) throws Exception {
    return start(topology, applicationId, stateDir, "at_least_once");
  }

  private static AutoCloseable start(String topology, String applicationId, Path stateDir, String guarantee)
      throws Exception {
    Properties config = new Properties();
    config.put("application.id", applicationId);
    config.put("bootstrap.servers", bootstrap());
    config.put("state.dir", stateDir.toString());
    config.put("processing.guarantee", guarantee);
    config.put("commit.interval.ms", "100");
    config.put("repartition.purge.interval.ms", "100");
    // Every update goes downstream at once, so the test sees each count as it changes.
    config.put("statestore.cache.max.bytes", "0");
    config.put("consumer.auto.offset.reset", "earliest");
    // Streams' consumers do not leave the group on close (the next instance is expected to be the same member), so
    // a restarted application waits out the old member's session: keep it at the broker's minimum.
    config.put("consumer.session.timeout.ms", "6000");
    // Kafka instantiates configured classes through the context class loader, and Streams' threads inherit it.
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(STREAMS);
    try {
      return (AutoCloseable) STREAMS.loadClass("dev.runnel.broker.kafka.streams.StreamsApplications")
          .getMethod("start", String.class, Properties.class)
          .invoke(null, topology, config);
    } catch (InvocationTargetException e) {
      throw new AssertionError("the Streams application did not start", e.getCause());
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  /**
   * Kafka Streams 4.3.1 with its own kafka-clients 4.3.1 (copied to {@code target/kafka-streams-lib} by the build)
   * and the test classes, over the JDK's classes only: the application sees none of the broker's kafka-clients 4.4.
   */
  private static ClassLoader streamsClassLoader() {
    try (Stream<Path> jars = Files.list(Path.of("target", "kafka-streams-lib"))) {
      List<URL> urls = new ArrayList<>();
      for (Path jar : jars.toList()) {
        urls.add(jar.toUri().toURL());
      }
      urls.add(KafkaStreamsTest.class.getProtectionDomain().getCodeSource().getLocation());
      return new URLClassLoader("kafka-streams-4.3.1", urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> producerConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    return config;
  }

  private static void produceStrings(String topic, List<String> values) throws Exception {
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(producerConfig(), new StringSerializer(), new StringSerializer())) {
      for (String value : values) {
        producer.send(new ProducerRecord<>(topic, value)).get();
      }
    }
  }

  private static void send(KafkaProducer<String, Long> producer, String key, long amount, Instant timestamp)
      throws Exception {
    producer.send(new ProducerRecord<>("orders", null, timestamp.toEpochMilli(), key, amount)).get();
  }

  /** Reads {@code topic} from the start, handing each record to {@code sink}, until {@code done} holds. */
  private static <V> void consume(String topic, Deserializer<V> values, Consumer<ConsumerRecord<String, V>> sink,
      Callable<Boolean> done) {
    consume(topic, values, Map.of(), sink, done);
  }

  private static <V> void consume(String topic, Deserializer<V> values, Map<String, String> extra,
      Consumer<ConsumerRecord<String, V>> sink, Callable<Boolean> done) {
    Properties config = new Properties();
    config.putAll(extra);
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + topic + "-" + System.nanoTime());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(config, new StringDeserializer(), values)) {
      consumer.subscribe(List.of(topic));
      await().atMost(Duration.ofSeconds(90)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(sink);
        return done.call();
      });
    }
  }

  private static Path newStateDir() {
    try {
      return Files.createTempDirectory(TestNodes.newDataDir(), "streams-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
