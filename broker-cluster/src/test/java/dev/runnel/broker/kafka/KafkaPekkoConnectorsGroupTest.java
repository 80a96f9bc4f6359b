package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.group.CommittedOffset;
import dev.runnel.broker.group.GroupDescription;
import dev.runnel.broker.group.GroupState;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.kafka.CommitterSettings;
import org.apache.pekko.kafka.ConsumerMessage;
import org.apache.pekko.kafka.ConsumerSettings;
import org.apache.pekko.kafka.ProducerSettings;
import org.apache.pekko.kafka.Subscriptions;
import org.apache.pekko.kafka.javadsl.Committer;
import org.apache.pekko.kafka.javadsl.Consumer;
import org.apache.pekko.kafka.javadsl.Producer;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pekko Connectors Kafka's committableSource and Committer.sink in a consumer group on an in-process node. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaPekkoConnectorsGroupTest {

  private static final String TOPIC = "connectors-group";
  private static final int PARTITIONS = 4;
  private static final int COUNT = 8_000;
  private RunnelNode node;

  @BeforeEach
  void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.group.initial-rebalance-delay", "200 ms"));
    node.broker().createTopic(TOPIC, PARTITIONS, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private Consumer.DrainingControl<?> committableSource(Map<String, AtomicInteger> counts, Set<String> received) {
    ConsumerSettings<String, String> settings = ConsumerSettings
        .create(node.system(), new StringDeserializer(), new StringDeserializer())
        .withBootstrapServers("127.0.0.1:" + node.kafkaPort())
        .withGroupId("connectors")
        // Pekko Connectors' advice with DrainingControl: the drain already waited for the commits.
        .withStopTimeout(Duration.ZERO)
        .withProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
        .withProperty(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000")
        .withProperty(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    return Consumer.committableSource(settings, Subscriptions.topics(TOPIC))
        .map(message -> {
          counts.computeIfAbsent(message.record().value(), v -> new AtomicInteger()).incrementAndGet();
          received.add(message.record().value());
          return message.committableOffset();
        })
        .<ConsumerMessage.Committable>map(offset -> offset)
        .toMat(Committer.sink(CommitterSettings.create(node.system()).withMaxBatch(100)), Keep.both())
        .mapMaterializedValue(Consumer::createDrainingControl)
        .run(node.system());
  }

  @Test
  void when_twoCommittableSourcesShareAGroup_then_theySplitPartitionsAndDrainingCommitsEverything()
      throws Exception {
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    Set<String> first = ConcurrentHashMap.newKeySet();
    Set<String> second = ConcurrentHashMap.newKeySet();
    Consumer.DrainingControl<?> one = committableSource(counts, first);
    Consumer.DrainingControl<?> two = committableSource(counts, second);
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      GroupDescription group = node.groups().describe("connectors").toCompletableFuture().get();
      return group.state() == GroupState.STABLE && group.members().size() == 2;
    });

    ProducerSettings<String, String> producer = ProducerSettings
        .create(node.system(), new StringSerializer(), new StringSerializer())
        .withBootstrapServers("127.0.0.1:" + node.kafkaPort());
    Source.range(0, COUNT - 1)
        .map(i -> new ProducerRecord<String, String>(TOPIC, i % PARTITIONS, null, "v" + i))
        .runWith(Producer.plainSink(producer), node.system())
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(60)).until(() -> counts.size() == COUNT);
    counts.forEach((value, count) -> assertEquals(1, count.get(), value + " read once"));
    assertFalse(first.isEmpty(), "the first source got partitions");
    assertFalse(second.isEmpty(), "the second source got partitions");
    assertEquals(COUNT, first.size() + second.size());

    one.drainAndShutdown(node.system().executionContext()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    two.drainAndShutdown(node.system().executionContext()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    Map<TopicPartition, CommittedOffset> committed =
        node.groups().fetchOffsets("connectors", null).toCompletableFuture().get(10, TimeUnit.SECONDS).offsets();
    assertEquals(PARTITIONS, committed.size());
    committed.forEach((partition, offset) ->
        assertEquals(COUNT / PARTITIONS, offset.offset(), "drainAndShutdown committed everything on " + partition));
  }
}
