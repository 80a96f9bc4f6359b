package dev.runnel.broker.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.ConsumerGroupMetadata;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Control;
import dev.runnel.client.PartitionOffset;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerMessage;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.RunnelException;
import dev.runnel.client.Transactional;
import dev.runnel.client.TransactionalMessage;
import dev.runnel.client.TransactionalSettings;
import dev.runnel.client.internal.Protocol;
import dev.runnel.client.internal.RequestChannel;
import dev.runnel.client.internal.TransactionalProducer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The native protocol's transactions and the reactive client's {@link Transactional} flow against a real node: a
 * consume-transform-produce pipeline commits its output with the consumed offsets; a second producer of a
 * transactional id fences the first, whose open transaction never becomes visible; an aborted transaction stays
 * invisible to read_committed readers (Kafka's own consumer reads the output); offsets consumed in a generation
 * the group has left are refused, and the transaction that carried them with them.
 */
@Timeout(120)
class TransactionalTest {

  private RunnelNode node;
  private ActorSystem client;

  @BeforeEach
  void start() {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of(
        "runnel.broker.group.initial-rebalance-delay", "0 s",
        "runnel.broker.group.min-session-timeout", "1 s",
        "runnel.broker.group.tick-interval", "50 ms"));
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  @AfterEach
  void stop() throws Exception {
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    node.close();
  }

  private String bootstrap() {
    return "ws://127.0.0.1:" + node.httpPort();
  }

  private ProducerSettings producerSettings() {
    return ProducerSettings.create(client).withBootstrap(bootstrap());
  }

  private ConsumerSettings consumerSettings() {
    ConsumerSettings settings = ConsumerSettings.create(client).withBootstrap(bootstrap());
    return settings.withGroup(new ConsumerSettings.Group(Duration.ofSeconds(6), Duration.ofMillis(200),
        Duration.ofSeconds(20), "range", ConsumerSettings.AutoOffsetReset.EARLIEST, Duration.ofMinutes(1)));
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Keyed input, interleaved over keys; returns the values per key in the order sent. */
  private Map<String, List<String>> produceInput(String topic, int keys, int perKey) throws Exception {
    Map<String, List<String>> sent = new TreeMap<>();
    try (Producer producer = Producer.create(producerSettings(), client)) {
      List<CompletionStage<?>> acks = new ArrayList<>();
      for (int i = 0; i < perKey; i++) {
        for (int k = 0; k < keys; k++) {
          String key = "k" + k;
          String value = key + "-" + i;
          acks.add(producer.send(ProducerRecord.of(topic, bytes(key), bytes(value))));
          sent.computeIfAbsent(key, x -> new ArrayList<>()).add(value);
        }
      }
      for (CompletionStage<?> ack : acks) {
        await(ack);
      }
    }
    return sent;
  }

  /** Values per key of the whole topic as Kafka's read_committed consumer reads it, up to the last stable offset. */
  static Map<String, List<String>> readCommitted(int kafkaPort, String topic, int partitions) {
    Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaPort,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, List<String>> read = new TreeMap<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> all = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        all.add(new TopicPartition(topic, p));
      }
      consumer.assign(all);
      consumer.seekToBeginning(all);
      Map<TopicPartition, Long> end = consumer.endOffsets(all);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(record ->
            read.computeIfAbsent(record.key() == null ? "" : record.key(), x -> new ArrayList<>()).add(record.value()));
        return all.stream().allMatch(p -> consumer.position(p) >= end.get(p));
      });
    }
    return read;
  }

  /** Whether every partition's last stable offset has reached its high watermark: no transaction is open there. */
  boolean settled(String topic, int partitions) throws Exception {
    for (int p = 0; p < partitions; p++) {
      var partition = node.broker().partition(topic, p);
      long stable = await(node.broker().listOffsets(partition, -1L,
          org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).offset();
      long high = await(node.broker().listOffsets(partition, -1L,
          org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED)).offset();
      if (stable != high) {
        return false;
      }
    }
    return true;
  }

  @Test
  void when_recordsAreTransformedThroughTheTransactionalFlow_then_theOutputAndTheGroupsOffsetsCommitTogether()
      throws Exception {
    await(node.broker().createTopic("eos-in", 2, Map.of()));
    await(node.broker().createTopic("eos-out", 2, Map.of()));
    Map<String, List<String>> sent = produceInput("eos-in", 4, 25);

    Pair<Control, CompletionStage<List<ProducerMessage>>> running =
        Transactional.source(consumerSettings(), "eos", Set.of("eos-in"))
            .map(message -> ProducerMessage.single(ProducerRecord.of("eos-out", message.record().key(),
                bytes(text(message.record().value()).toUpperCase())), message.partitionOffset()))
            .via(Transactional.flow(producerSettings(), "eos-tx"))
            .take(100)
            .toMat(Sink.seq(), Keep.both())
            .run(client);
    assertEquals(100, await(running.second()).size(), "each message is emitted once its transaction committed");

    var committed = await(node.groups().fetchOffsets("eos", null)).offsets();
    long committedTotal = committed.values().stream().mapToLong(o -> o.offset()).sum();
    assertEquals(100, committedTotal, "the group's offsets reached the input's end inside the transactions");
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> settled("eos-out", 2));
    Map<String, List<String>> expected = new TreeMap<>();
    sent.forEach((key, values) -> expected.put(key, values.stream().map(String::toUpperCase).toList()));
    assertEquals(expected, readCommitted(node.kafkaPort(), "eos-out", 2), "each input once, in order per key");
  }

  /** A transactional batch of one producer's records, numbered from {@code sequence}. */
  private static ByteString transactionalBatch(long producerId, short epoch, int sequence, String... values) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(java.nio.ByteBuffer.allocate(1024), Compression.NONE,
        TimestampType.CREATE_TIME, 0L);
    for (String value : values) {
      builder.append(System.currentTimeMillis(), null, bytes(value));
    }
    builder.setProducerState(producerId, epoch, sequence, true);
    return ByteString.fromByteBuffer(builder.build().buffer());
  }

  private static short errorOf(Protocol.Message answer) {
    if (answer instanceof Protocol.TxnResult result) {
      return result.errorCode();
    } else if (answer instanceof Protocol.ProduceAck ack) {
      return ack.errorCode();
    }
    throw new AssertionError("unexpected answer " + answer);
  }

  private Protocol.ProducerIdResult initTransactions(RequestChannel channel, String transactionalId) {
    // A new epoch first aborts what the previous one left open: CONCURRENT_TRANSACTIONS until that is done.
    Protocol.ProducerIdResult[] result = new Protocol.ProducerIdResult[1];
    untilNotConcurrent(() -> {
      result[0] = (Protocol.ProducerIdResult) await(channel.request(
          id -> new Protocol.InitTransactions(id, transactionalId, 60_000)));
      return result[0].errorCode();
    });
    assertEquals(Errors.NONE.code(), result[0].errorCode(), "InitTransactions");
    return result[0];
  }

  /** Sends a request again while it is answered CONCURRENT_TRANSACTIONS (the previous transaction completing). */
  private static void untilNotConcurrent(java.util.concurrent.Callable<Short> request) {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> request.call() != Errors.CONCURRENT_TRANSACTIONS.code());
  }

  @Test
  void when_aSecondProducerTakesTheTransactionalId_then_theFirstIsFencedAndItsRecordsNeverBecomeVisible()
      throws Exception {
    await(node.broker().createTopic("fenced", 1, Map.of()));
    try (RequestChannel zombie = new RequestChannel(client, List.of(bootstrap() + "/stream"), Duration.ofSeconds(30),
        64)) {
      Protocol.ProducerIdResult first = initTransactions(zombie, "fence-tx");
      long pid = first.producerId();
      short epoch = first.epoch();
      assertEquals(Errors.NONE.code(), errorOf(await(zombie.request(id -> new Protocol.AddPartitionsToTxn(id,
          "fence-tx", pid, epoch, List.of(new Protocol.TopicPartition("fenced", 0)))))));
      assertEquals(Errors.NONE.code(), errorOf(await(zombie.request(id -> new Protocol.Produce(id, "fenced", 0,
          (short) -1, transactionalBatch(pid, epoch, 0, "zombie-1", "zombie-2"))))), "the open transaction's records");

      TransactionalProducer successor = new TransactionalProducer(producerSettings(),
          TransactionalSettings.create(client), "fence-tx", client);
      await(successor.init());
      await(successor.commit(List.of(ProducerMessage.single(ProducerRecord.of("fenced", bytes("successor")),
          new PartitionOffset(new ConsumerGroupMetadata("fence-g", "", -1), "fence-in", 0, 0)))));
      successor.close();

      assertEquals(Errors.PRODUCER_FENCED.code(), errorOf(await(zombie.request(
          id -> new Protocol.EndTxn(id, "fence-tx", pid, epoch, true)))), "the zombie's commit is refused");
      short produced = errorOf(await(zombie.request(id -> new Protocol.Produce(id, "fenced", 0, (short) -1,
          transactionalBatch(pid, epoch, 2, "zombie-3")))));
      assertEquals(Errors.INVALID_PRODUCER_EPOCH.code(), produced, "the zombie's appends are refused: "
          + Errors.forCode(produced));
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> settled("fenced", 1));
    assertEquals(Map.of("", List.of("successor")), readCommitted(node.kafkaPort(), "fenced", 1),
        "only the successor's transaction is visible");
  }

  @Test
  void when_aRunningFlowIsFencedByANewFlowOfItsTransactionalId_then_itFailsAndOnlyTheNewOnesOutputIsVisible()
      throws Exception {
    await(node.broker().createTopic("flow-fenced", 1, Map.of()));
    ConsumerGroupMetadata outsider = new ConsumerGroupMetadata("flow-fence-g", "", -1);
    Pair<SourceQueueWithComplete<ProducerMessage>, CompletionStage<List<ProducerMessage>>> zombie =
        Source.<ProducerMessage>queue(16, OverflowStrategy.backpressure())
            .via(Transactional.flow(producerSettings(), "flow-fence-tx"))
            .toMat(Sink.seq(), Keep.both())
            .run(client);
    await(zombie.first().offer(ProducerMessage.single(ProducerRecord.of("flow-fenced", bytes("old-1")),
        new PartitionOffset(outsider, "flow-in", 0, 0))));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> settled("flow-fenced", 1)
        && !readCommitted(node.kafkaPort(), "flow-fenced", 1).isEmpty());

    List<ProducerMessage> successor = await(Source.single(ProducerMessage.single(
            ProducerRecord.of("flow-fenced", bytes("new-1")), new PartitionOffset(outsider, "flow-in", 0, 1)))
        .via(Transactional.flow(producerSettings(), "flow-fence-tx"))
        .runWith(Sink.seq(), client));
    assertEquals(1, successor.size());

    zombie.first().offer(ProducerMessage.single(ProducerRecord.of("flow-fenced", bytes("old-2")),
        new PartitionOffset(outsider, "flow-in", 0, 2)));
    ExecutionException failed = assertThrows(ExecutionException.class, () -> await(zombie.second()));
    RunnelException fenced = assertInstanceOf(RunnelException.class, failed.getCause());
    assertEquals(Errors.PRODUCER_FENCED, fenced.error(), fenced.getMessage());
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> settled("flow-fenced", 1));
    assertEquals(Map.of("", List.of("old-1", "new-1")), readCommitted(node.kafkaPort(), "flow-fenced", 1),
        "the fenced flow's last transaction never became visible");
  }

  @Test
  void when_aTransactionIsAborted_then_readCommittedConsumersSeeNoneOfItsRecords() throws Exception {
    await(node.broker().createTopic("aborted", 1, Map.of()));
    try (RequestChannel channel = new RequestChannel(client, List.of(bootstrap() + "/stream"), Duration.ofSeconds(30),
        64)) {
      Protocol.ProducerIdResult producer = initTransactions(channel, "abort-tx");
      long pid = producer.producerId();
      short epoch = producer.epoch();
      List<Protocol.TopicPartition> partitions = List.of(new Protocol.TopicPartition("aborted", 0));
      assertEquals(Errors.NONE.code(), errorOf(await(channel.request(
          id -> new Protocol.AddPartitionsToTxn(id, "abort-tx", pid, epoch, partitions)))));
      assertEquals(Errors.NONE.code(), errorOf(await(channel.request(id -> new Protocol.Produce(id, "aborted", 0,
          (short) -1, transactionalBatch(pid, epoch, 0, "aborted-1", "aborted-2", "aborted-3"))))));
      assertEquals(Errors.NONE.code(), errorOf(await(channel.request(
          id -> new Protocol.EndTxn(id, "abort-tx", pid, epoch, false)))), "EndTxn(abort)");

      // The next transaction of the same producer goes on from the aborted one's sequences, and commits.
      short[] added = new short[1];
      untilNotConcurrent(() -> added[0] = errorOf(await(channel.request(
          id -> new Protocol.AddPartitionsToTxn(id, "abort-tx", pid, epoch, partitions)))));
      assertEquals(Errors.NONE.code(), added[0], "AddPartitionsToTxn after the abort completed");
      assertEquals(Errors.NONE.code(), errorOf(await(channel.request(id -> new Protocol.Produce(id, "aborted", 0,
          (short) -1, transactionalBatch(pid, epoch, 3, "committed"))))));
      assertEquals(Errors.NONE.code(), errorOf(await(channel.request(
          id -> new Protocol.EndTxn(id, "abort-tx", pid, epoch, true)))), "EndTxn(commit)");
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> settled("aborted", 1));
    assertEquals(Map.of("", List.of("committed")), readCommitted(node.kafkaPort(), "aborted", 1),
        "the aborted transaction's records are left out");
  }

  @Test
  void when_offsetsWereConsumedInAGenerationTheGroupHasLeft_then_theirTransactionIsRefusedAndNothingIsVisible()
      throws Exception {
    await(node.broker().createTopic("gen-in", 2, Map.of()));
    await(node.broker().createTopic("gen-out", 1, Map.of()));
    produceInput("gen-in", 4, 5);
    Pair<Control, CompletionStage<List<TransactionalMessage>>> first =
        Transactional.source(consumerSettings(), "gen-g", Set.of("gen-in")).take(1)
            .toMat(Sink.seq(), Keep.both()).run(client);
    PartitionOffset stale = await(first.second()).get(0).partitionOffset();
    // The first member has left (its source completed); the second one's join starts a new generation.
    Pair<Control, CompletionStage<List<TransactionalMessage>>> second =
        Transactional.source(consumerSettings(), "gen-g", Set.of("gen-in")).take(1)
            .toMat(Sink.seq(), Keep.both()).run(client);
    PartitionOffset current = await(second.second()).get(0).partitionOffset();
    assertEquals(true, current.group().generationId() > stale.group().generationId(), "a rebalance happened");
    await(second.first().shutdown());

    TransactionalProducer zombie = new TransactionalProducer(producerSettings(),
        TransactionalSettings.create(client), "gen-tx", client);
    await(zombie.init());
    ExecutionException failed = assertThrows(ExecutionException.class, () -> await(zombie.commit(List.of(
        ProducerMessage.single(ProducerRecord.of("gen-out", bytes("stale")), stale)))));
    RunnelException refused = assertInstanceOf(RunnelException.class, failed.getCause());
    assertEquals(true, refused.error() == Errors.UNKNOWN_MEMBER_ID || refused.error() == Errors.ILLEGAL_GENERATION,
        "the group refuses a member that is gone or a generation that is over: " + refused.getMessage());
    await(zombie.abort());
    zombie.close();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> settled("gen-out", 1));
    assertEquals(Map.of(), readCommitted(node.kafkaPort(), "gen-out", 1), "the refused transaction was aborted");
    assertEquals(Map.of(), await(node.groups().fetchOffsets("gen-g", null)).offsets(),
        "no offset was committed");
  }
}
