package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.kafka.ConsumerSettings;
import org.apache.pekko.kafka.ProducerSettings;
import org.apache.pekko.kafka.Subscriptions;
import org.apache.pekko.kafka.javadsl.Consumer;
import org.apache.pekko.kafka.javadsl.Producer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pekko Connectors Kafka (plainSink, plainSource with manual assignment) against an in-process node. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaPekkoConnectorsTest {

  private static final int COUNT = 10_000;
  private static RunnelNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir());
    node.broker().createTopic("connectors", 2, Map.of()).toCompletableFuture().get();
    ProducerSettings<String, String> producer = ProducerSettings
        .create(node.system(), new StringSerializer(), new StringSerializer())
        .withBootstrapServers(bootstrap());
    Source.range(0, COUNT - 1)
        .map(i -> new ProducerRecord<>("connectors", i % 2, "k" + i, "v" + i))
        .runWith(Producer.plainSink(producer), node.system())
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  private static ConsumerSettings<String, String> consumerSettings() {
    return ConsumerSettings.create(node.system(), new StringDeserializer(), new StringDeserializer())
        .withBootstrapServers(bootstrap())
        .withProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
  }

  @Test
  void when_plainSourceIsAssignedPartitions_then_itReadsWhatPlainSinkWroteInPartitionOrder() throws Exception {
    TopicPartition p0 = new TopicPartition("connectors", 0);
    TopicPartition p1 = new TopicPartition("connectors", 1);
    List<ConsumerRecord<String, String>> records = Consumer
        .plainSource(consumerSettings(), Subscriptions.assignment(Set.of(p0, p1)))
        .take(COUNT)
        .runWith(Sink.seq(), node.system())
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(COUNT, records.size());
    Map<Integer, Long> next = new HashMap<>();
    for (ConsumerRecord<String, String> record : records) {
      long expected = next.getOrDefault(record.partition(), 0L);
      assertEquals(expected, record.offset(), "per-partition order, no gaps");
      int i = Integer.parseInt(record.value().substring(1));
      assertEquals(record.partition(), i % 2);
      assertEquals("k" + i, record.key());
      next.put(record.partition(), expected + 1);
    }
  }

  @Test
  void when_plainSourceStartsAtAnOffset_then_itReadsFromThere() throws Exception {
    TopicPartition p1 = new TopicPartition("connectors", 1);
    ConsumerRecord<String, String> first = Consumer
        .plainSource(consumerSettings(), Subscriptions.assignmentWithOffset(p1, 1234L))
        .runWith(Sink.head(), node.system())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(1234L, first.offset());
    assertEquals("v" + (1234 * 2 + 1), first.value());
  }

  @Test
  void when_downstreamDoesNotAsk_then_plainSourceEmitsNothingAndResumesOnDemand() {
    TopicPartition p0 = new TopicPartition("connectors", 0);
    TestSubscriber.Probe<ConsumerRecord<String, String>> probe = Consumer
        .plainSource(consumerSettings(), Subscriptions.assignment(p0))
        .runWith(TestSink.create(node.system()), node.system());
    probe.request(10);
    for (int i = 0; i < 10; i++) {
      assertEquals(i, probe.expectNext(Duration.ofSeconds(30)).offset());
    }
    probe.expectNoMessage(Duration.ofMillis(500));
    probe.request(COUNT / 2 - 10);
    long last = -1;
    for (int i = 10; i < COUNT / 2; i++) {
      last = probe.expectNext(Duration.ofSeconds(30)).offset();
    }
    assertEquals(COUNT / 2 - 1, last);
    probe.expectNoMessage(Duration.ofMillis(300));
    probe.cancel();
    assertTrue(last > 0);
  }
}
