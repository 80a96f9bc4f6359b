package dev.runnel.broker.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.testkit.TcpProxy;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.RecordMetadata;
import dev.runnel.client.RunnelException;
import dev.runnel.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The reactive client's idempotent producer against a real node, with a {@link TcpProxy} between them that loses
 * the answers to batches the node has stored, so that the producer must send them again on a new connection.
 */
@Timeout(120)
class IdempotentProducerTest {

  private RunnelNode node;
  private ActorSystem client;
  private TcpProxy proxy;

  @BeforeEach
  void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir());
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    proxy = new TcpProxy(node.httpPort());
  }

  @AfterEach
  void stop() throws Exception {
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    proxy.close();
    node.close();
  }

  /** Linger 0: every record is a batch and a Produce request of its own, so several are in flight at once. */
  private ProducerSettings throughProxy(boolean idempotence) {
    return ProducerSettings.create(client).withBootstrap("ws://127.0.0.1:" + proxy.port())
        .withLinger(Duration.ZERO).withIdempotence(idempotence);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private long logEnd(String topic) throws Exception {
    return await(node.broker().status(node.broker().partition(topic, 0))).logEndOffset();
  }

  private List<String> values(String topic, int count) throws Exception {
    List<ConsumerRecord> records = await(Consumer.plainSource(ConsumerSettings.create(client)
            .withBootstrap("ws://127.0.0.1:" + node.httpPort()), Subscription.earliest(topic, 0))
        .take(count)
        .runWith(Sink.seq(), client));
    return records.stream().map(record -> new String(record.value(), StandardCharsets.UTF_8))
        .collect(Collectors.toList());
  }

  /**
   * Stores "a", then sends {@code values} while the proxy drops the node's answers, waits until the node holds
   * {@code storedBeforeCut} records, and cuts the connection: the producer reconnects and sends the unanswered
   * batches again. Answers the metadata of {@code values}.
   */
  private List<RecordMetadata> produceLosingTheAcks(Producer producer, String topic, List<String> values,
      long storedBeforeCut) throws Exception {
    assertEquals(0L, await(producer.send(ProducerRecord.of(topic, utf8("a")))).offset());
    proxy.swallowReplies();
    List<CompletableFuture<RecordMetadata>> lost = values.stream()
        .map(value -> producer.send(ProducerRecord.of(topic, utf8(value))).toCompletableFuture())
        .collect(Collectors.toList());
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> logEnd(topic) == storedBeforeCut);
    assertFalse(lost.stream().anyMatch(CompletableFuture::isDone), "no answer reached the producer");
    proxy.cut();
    CompletableFuture.allOf(lost.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    return lost.stream().map(CompletableFuture::join).collect(Collectors.toList());
  }

  @Test
  void when_answersAreLostAndTheBatchesAreResent_then_theLogHoldsEachOnceAndTheProducerGetsTheFirstOffsets()
      throws Exception {
    await(node.broker().createTopic("idempotent", 1, Map.of()));
    try (Producer producer = Producer.create(throughProxy(true), client)) {
      List<RecordMetadata> resent = produceLosingTheAcks(producer, "idempotent", List.of("b", "c", "d"), 4);

      assertEquals(List.of(1L, 2L, 3L), resent.stream().map(RecordMetadata::offset).collect(Collectors.toList()),
          "the retried batches were answered with the offsets they got before the cut");
      assertEquals(4L, logEnd("idempotent"), "the retry stored nothing");
      assertEquals(4L, await(producer.send(ProducerRecord.of("idempotent", utf8("e")))).offset(),
          "the producer carries on after the retry");
    }
    assertEquals(List.of("a", "b", "c", "d", "e"), values("idempotent", 5));
    assertEquals(5L, logEnd("idempotent"));

    List<RecordBatch> stored = batches("idempotent");
    assertEquals(5, stored.size(), "one batch per record (linger 0)");
    long producerId = stored.get(0).producerId();
    for (int i = 0; i < stored.size(); i++) {
      assertEquals(producerId, stored.get(i).producerId(), "one producer id for the producer's life");
      assertEquals(0, stored.get(i).producerEpoch());
      assertEquals(i, stored.get(i).baseSequence(), "the partition's sequence, unchanged by the retry");
    }
    assertTrue(producerId >= 0, "a producer id was granted");
    long next = await(node.broker().allocateProducerId());
    assertTrue(next > producerId, "the allocator Kafka's InitProducerId uses comes after the native producer's id");
  }

  private List<RecordBatch> batches(String topic) throws Exception {
    FetchResult fetched = await(node.broker().fetch(node.broker().partition(topic, 0), 0, 1 << 20, Duration.ZERO));
    List<RecordBatch> result = new ArrayList<>();
    MemoryRecords.readableRecords(fetched.records()).batches().forEach(result::add);
    return result;
  }

  @Test
  void when_moreBatchesThanThePartitionRemembersAreUnanswered_then_theRestWaitAndEveryRetryIsRecognized()
      throws Exception {
    await(node.broker().createTopic("many", 1, Map.of()));
    List<String> values = IntStream.range(0, 12).mapToObj(i -> "v" + i).collect(Collectors.toList());
    try (Producer producer = Producer.create(throughProxy(true), client)) {
      // A partition remembers a producer's last 5 batches: the producer leaves no more than 5 unanswered.
      List<RecordMetadata> resent = produceLosingTheAcks(producer, "many", values, 6);

      assertEquals(LongStream.rangeClosed(1, 12).boxed().collect(Collectors.toList()),
          resent.stream().map(RecordMetadata::offset).collect(Collectors.toList()));
    }
    List<String> expected = new ArrayList<>(List.of("a"));
    expected.addAll(values);
    assertEquals(expected, values("many", 13));
    assertEquals(13L, logEnd("many"), "the five retried batches were not stored again");
  }

  @Test
  void when_idempotenceIsOff_then_producingWorksAndALostAnswerStoresTheBatchAgain() throws Exception {
    await(node.broker().createTopic("at-least-once", 1, Map.of()));
    try (Producer producer = Producer.create(throughProxy(false), client)) {
      List<RecordMetadata> resent = produceLosingTheAcks(producer, "at-least-once", List.of("b", "c", "d"), 4);

      assertEquals(List.of(4L, 5L, 6L), resent.stream().map(RecordMetadata::offset).collect(Collectors.toList()),
          "without a producer id the retry is a new append");
    }
    assertEquals(List.of("a", "b", "c", "d", "b", "c", "d"), values("at-least-once", 7));
    assertFalse(batches("at-least-once").stream().anyMatch(RecordBatch::hasProducerId),
        "with idempotence off, batches carry no producer id");
  }

  @Test
  void when_theBrokerRefusesAnIdempotentBatch_then_itsRecordsFailAndLaterBatchesOfThePartitionAreStored()
      throws Exception {
    // A compacted topic refuses a record without a key: a refusal that leaves a gap in the producer's sequence.
    await(node.broker().createTopic("compacted", 1, Map.of("cleanup.policy", "compact")));
    try (Producer producer = Producer.create(throughProxy(true), client)) {
      assertEquals(0L, await(producer.send(ProducerRecord.of("compacted", utf8("k1"), utf8("v1")))).offset());
      ExecutionException refused = assertThrows(ExecutionException.class,
          () -> await(producer.send(ProducerRecord.of("compacted", utf8("no key")))));
      assertInstanceOf(RunnelException.class, refused.getCause());
      assertEquals(Errors.INVALID_RECORD, ((RunnelException) refused.getCause()).error());

      assertEquals(1L, await(producer.send(ProducerRecord.of("compacted", utf8("k2"), utf8("v2")))).offset(),
          "the next batch is not refused as out of order");
    }
    assertEquals(List.of("v1", "v2"), values("compacted", 2));
  }
}
