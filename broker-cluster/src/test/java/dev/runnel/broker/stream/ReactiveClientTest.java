package dev.runnel.broker.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Control;
import dev.runnel.client.Header;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.RecordMetadata;
import dev.runnel.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The reactive client against a real node over a real WebSocket on loopback; the client has its own system. */
@Timeout(180)
class ReactiveClientTest {

  private Path dataDir;
  private RunnelNode node;
  private ActorSystem client;

  @BeforeEach
  void start() {
    dataDir = TestNodes.newDataDir();
    node = TestNodes.start(dataDir);
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  @AfterEach
  void stop() throws Exception {
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (node != null) {
      node.close();
    }
  }

  private String bootstrap() {
    return "ws://127.0.0.1:" + node.httpPort();
  }

  private ProducerSettings producerSettings() {
    return ProducerSettings.create(client).withBootstrap(bootstrap());
  }

  private ConsumerSettings consumerSettings() {
    return ConsumerSettings.create(client).withBootstrap(bootstrap());
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void when_keyedRecordsAreProduced_then_theyLandInKafkasKeyPartitionAndAreConsumedInOrderExactlyOnce()
      throws Exception {
    await(node.broker().createTopic("orders", 3, Map.of()));
    int count = 10_000;
    long baseTime = 1_700_000_000_000L;
    List<ProducerRecord> records = IntStream.range(0, count)
        .mapToObj(i -> ProducerRecord.of("orders", utf8("customer-" + (i % 777)), utf8("order-" + i))
            .withHeaders(List.of(Header.of("seq", Integer.toString(i))))
            .withTimestamp(baseTime + i))
        .collect(Collectors.toList());

    List<RecordMetadata> produced = await(Source.from(records)
        .via(Producer.flow(producerSettings().withCompression("lz4")))
        .runWith(Sink.seq(), client));

    assertEquals(count, produced.size());
    Map<String, ProducerRecord> byPosition = new HashMap<>();
    for (int i = 0; i < count; i++) {
      RecordMetadata metadata = produced.get(i);
      assertEquals(BuiltInPartitioner.partitionForKey(records.get(i).key(), 3), metadata.partition(),
          "partition of record " + i);
      assertEquals(baseTime + i, metadata.timestamp());
      byPosition.put(metadata.partition() + "@" + metadata.offset(), records.get(i));
    }
    assertEquals(count, byPosition.size(), "every record got its own offset");

    List<ConsumerRecord> consumed = await(Consumer.plainSource(consumerSettings(),
            Subscription.earliest("orders", 0, 1, 2))
        .take(count)
        .runWith(Sink.seq(), client));

    Map<Integer, Long> nextOffset = new HashMap<>(Map.of(0, 0L, 1, 0L, 2, 0L));
    for (ConsumerRecord record : consumed) {
      assertEquals(nextOffset.get(record.partition()), record.offset(), "offset order in " + record.partition());
      nextOffset.put(record.partition(), record.offset() + 1);
      ProducerRecord sent = byPosition.get(record.partition() + "@" + record.offset());
      assertArrayEquals(sent.key(), record.key());
      assertArrayEquals(sent.value(), record.value());
      assertEquals(sent.timestamp(), record.timestamp());
      assertEquals(1, record.headers().size());
      assertEquals("seq", record.headers().get(0).key());
      assertEquals(text(sent.headers().get(0).value()), text(record.headers().get(0).value()));
    }
    long stored = 0;
    for (int p = 0; p < 3; p++) {
      long logEnd = await(node.broker().status(node.broker().partition("orders", p))).logEndOffset();
      assertEquals(logEnd, (long) nextOffset.get(p), "partition " + p + " was read to its end, no further");
      stored += logEnd;
    }
    assertEquals(count, stored, "nothing stored twice");
  }

  @Test
  void when_consumerIsSlow_then_theBrokerHoldsNoMoreThanTheCreditWindowAndLosesNothing() throws Exception {
    await(node.broker().createTopic("slow", 1, Map.of()));
    int count = 20_000;
    byte[] payload = new byte[1000];
    try (Producer producer = Producer.create(producerSettings().withBatchSize(16 * 1024), client)) {
      List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        System.arraycopy(utf8(String.format("%08d", i)), 0, payload, 0, 8);
        sends.add(producer.send(ProducerRecord.of("slow", payload.clone())).toCompletableFuture());
      }
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }
    int window = 2;
    int maxFrameBytes = 32 * 1024;
    int slowRecords = 1500;
    ConsumerSettings settings = consumerSettings().withCreditWindow(window).withMaxFrameBytes(maxFrameBytes);
    Pair<Control, CompletionStage<List<ConsumerRecord>>> running = Consumer.plainSource(settings,
            Subscription.earliest("slow", 0))
        .take(slowRecords)
        .throttle(1, Duration.ofMillis(2))
        .toMat(Sink.seq(), Keep.both())
        .run(client);

    StreamRegistry registry = StreamRegistry.get(node.system());
    // A frame holds at most maxFrameBytes of batches, or one batch larger than that (16 KiB here), plus its header.
    long frameBound = maxFrameBytes + 64;
    CompletableFuture<List<ConsumerRecord>> slow = running.second().toCompletableFuture();
    List<SubscriptionStats> seen = new ArrayList<>();
    while (!slow.isDone()) {
      for (SubscriptionStats stats : registry.subscriptions()) {
        assertTrue(stats.credit() <= window, "credit within the window: " + stats);
        assertTrue(stats.framesHeld() <= window, "frames held within the window: " + stats);
        assertTrue(stats.bytesHeld() <= window * frameBound, "bytes held within the window: " + stats);
        if (!seen.contains(stats)) {
          seen.add(stats);
        }
      }
      Thread.sleep(5);
    }
    List<ConsumerRecord> first = slow.get();
    assertEquals(1, seen.size(), "one subscription was open");
    SubscriptionStats stats = seen.get(0);
    assertTrue(stats.maxCredit() <= window, "most credit ever held: " + stats.maxCredit());
    assertTrue(stats.maxFramesHeld() <= window, "most frames ever held: " + stats.maxFramesHeld());
    assertTrue(stats.maxBytesHeld() <= window * frameBound, "most bytes ever held: " + stats.maxBytesHeld());
    // Each record costs its 1000-byte value plus a few bytes of record and batch framing.
    long consumedBytes = (long) slowRecords * (payload.length + 64);
    assertTrue(stats.bytesSent() <= consumedBytes + (window + 2L) * frameBound,
        "the broker read about as far as the consumer, not the " + (count * 1000L) + " bytes stored: "
            + stats.bytesSent() + " bytes sent");

    long resumeAt = first.get(first.size() - 1).offset() + 1;
    List<ConsumerRecord> rest = await(Consumer.plainSource(settings, Subscription.atOffsets("slow",
            Map.of(0, resumeAt)))
        .take(count - slowRecords)
        .runWith(Sink.seq(), client));
    List<ConsumerRecord> all = new ArrayList<>(first);
    all.addAll(rest);
    for (int i = 0; i < count; i++) {
      assertEquals(i, all.get(i).offset(), "offset of record " + i);
      assertEquals(String.format("%08d", i), new String(all.get(i).value(), 0, 8, StandardCharsets.UTF_8));
    }
  }

  @Test
  void when_nodeRestartsMidStream_then_consumerAndProducerReconnectWithoutGapsOrDuplicates() throws Exception {
    await(node.broker().createTopic("restart", 2, Map.of()));
    int count = 6_000;
    try (Producer producer = Producer.create(producerSettings(), client)) {
      List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        sends.add(producer.send(ProducerRecord.of("restart", utf8("k" + i), utf8("v" + i))).toCompletableFuture());
      }
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }
    // A short request timeout, so that a connection opened to the node while it stops is soon given up.
    Producer producer = Producer.create(producerSettings().withRequestTimeout(Duration.ofSeconds(5)), client);
    await(producer.send(ProducerRecord.of("restart", utf8("before"), utf8("restart"))));
    List<ConsumerRecord> consumed = new CopyOnWriteArrayList<>();
    Pair<Control, CompletionStage<org.apache.pekko.Done>> running = Consumer.plainSource(
            consumerSettings().withCreditWindow(2).withMaxFrameBytes(4 * 1024)
                .withRequestTimeout(Duration.ofSeconds(5)), Subscription.earliest("restart", 0, 1))
        // Slow enough that the node's stop (which may wait out a request that arrives while its shards hand off)
        // comes long before the end: 200 records/s, 30 s for all.
        .throttle(20, Duration.ofMillis(100))
        .toMat(Sink.foreach(consumed::add), Keep.both())
        .run(client);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> consumed.size() >= 1000);

    int port = node.httpPort();
    node.close();
    node = null;
    int atStop = consumed.size();
    assertTrue(atStop < count, "the node stopped mid-stream (" + atStop + " consumed)");
    node = TestNodes.start(dataDir, Map.of("runnel.broker.http.port", port));

    RecordMetadata after = await(producer.send(ProducerRecord.of("restart", utf8("after"), utf8("restart"))));
    producer.close();
    int total = count + 2;
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> consumed.size() >= total);
    await(running.first().shutdown());

    Broker broker = node.broker();
    Set<String> seen = new HashSet<>();
    Map<Integer, Long> next = new HashMap<>(Map.of(0, 0L, 1, 0L));
    for (ConsumerRecord record : consumed) {
      assertTrue(seen.add(record.partition() + "@" + record.offset()), "delivered once: " + record.offset());
      assertEquals(next.get(record.partition()), record.offset(), "no gap in partition " + record.partition());
      next.put(record.partition(), record.offset() + 1);
    }
    TopicMetadata topic = broker.topic("restart").orElseThrow();
    long stored = 0;
    for (int p = 0; p < topic.partitions(); p++) {
      stored += await(broker.status(Broker.partition(topic, p))).logEndOffset();
    }
    assertEquals(total, stored, "the records before and after the restart, each once");
    assertEquals(total, consumed.size());
    assertTrue(after.offset() >= 0, "the producer reconnected and its record was stored");
  }
}
