package dev.runnel.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.CommittableMessage;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.Subscription;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.event.Logging;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node with {@code pekko.actor.serialize-messages = on}: every message an actor receives is serialized and
 * deserialized first, as if it came from another node, so a message without a working serializer fails here as
 * it would between nodes. A round through every door — Kafka admin, idempotent producer, consumer group and offset
 * admin; HTTP produce, read and admin; the native client's producer, reader and group consumer; the idle sweep and
 * topic deletion — must pass without one serialization failure.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SerializeMessagesTest {

  private static final String TOPIC = "wire-round";
  private static final String GROUP = "wire-group";

  private RunnelNode node;
  private ActorSystem client;
  private final List<Logging.Error> serializationFailures = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of(
        "pekko.actor.serialize-messages", "on",
        "pekko.actor.serialize-creators", "off",
        "runnel.broker.partition.idle-sweep-interval", "1 s",
        "runnel.broker.group.initial-rebalance-delay", "0 s"));
    // The check reports a message it cannot serialize as an error event and drops the message.
    node.system().systemActorOf(Behaviors.<Logging.Error>setup(context -> {
      context.getSystem().eventStream().tell(new EventStream.Subscribe<>(Logging.Error.class, context.getSelf()));
      return Behaviors.receiveMessage(error -> {
        if (error.cause() != null && error.cause().getClass().getSimpleName().equals(
            "SerializationCheckFailedException")) {
          serializationFailures.add(error);
        }
        return Behaviors.same();
      });
    }), "serialization-failures", Props.empty());
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  @AfterEach
  void stop() throws Exception {
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    node.close();
  }

  @Test
  void when_everyMessageIsSerialized_then_everyDoorStillWorks() throws Exception {
    String bootstrap = "127.0.0.1:" + node.kafkaPort();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get(60, TimeUnit.SECONDS);
      assertEquals(3, admin.describeTopics(List.of(TOPIC)).allTopicNames().get(60, TimeUnit.SECONDS)
          .get(TOPIC).partitions().size());

      // Idempotent producer (InitProducerId from the allocator singleton), acks=all.
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
          ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
        for (int i = 0; i < 30; i++) {
          producer.send(new ProducerRecord<>(TOPIC, i % 3, "k" + i, "kafka-" + i));
        }
        producer.flush();
      }

      // A transaction: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn, markers.
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ProducerConfig.TRANSACTIONAL_ID_CONFIG, "wire-txn",
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(TOPIC, 2, "t", "txn-1"));
        producer.sendOffsetsToTransaction(Map.of(new TopicPartition(TOPIC, 2), new OffsetAndMetadata(0)),
            new org.apache.kafka.clients.consumer.ConsumerGroupMetadata("wire-txn-group"));
        producer.commitTransaction();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> admin.describeTransactions(List.of("wire-txn"))
          .description("wire-txn").get(60, TimeUnit.SECONDS).state()
          == org.apache.kafka.clients.admin.TransactionState.COMPLETE_COMMIT);

      // A consumer group: join, sync, heartbeat, fetch, commit, leave.
      Map<String, Object> consumerConfig = new HashMap<>();
      consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
      consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
      consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
      List<String> consumed = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig)) {
        consumer.subscribe(List.of(TOPIC));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (consumed.size() < 31 && System.nanoTime() < deadline) {
          consumer.poll(Duration.ofMillis(200)).forEach(record -> consumed.add(record.value()));
        }
        consumer.commitSync();
      }
      assertEquals(31, consumed.size(), "records the group consumed");

      TopicPartition first = new TopicPartition(TOPIC, 0);
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
      assertEquals(10, committed.get(first).offset());
      assertEquals(GROUP, admin.describeConsumerGroups(List.of(GROUP)).all().get(60, TimeUnit.SECONDS)
          .get(GROUP).groupId());
      assertEquals(10, admin.listOffsets(Map.of(first, OffsetSpec.latest())).all().get(60, TimeUnit.SECONDS)
          .get(first).offset());
      assertEquals(2, admin.deleteRecords(Map.of(first, RecordsToDelete.beforeOffset(2))).all()
          .thenApply(done -> 2).get(60, TimeUnit.SECONDS));

      // HTTP: produce, read, describe (partition status), group.
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + node.httpPort();
      HttpResponse<String> produced = http.send(HttpRequest.newBuilder(URI.create(base + "/topics/" + TOPIC
              + "/records")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"records\": [{\"value\": \"http-1\", \"partition\": 1}]}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, produced.statusCode(), produced.body());
      HttpResponse<String> read = http.send(HttpRequest.newBuilder(URI.create(base + "/topics/" + TOPIC
          + "/partitions/1/records?offset=10")).build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(read.body().contains("http-1"), read.body());
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/topics/" + TOPIC)).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/groups/" + GROUP)).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());

      // Schema registry: a registration goes to the writer singleton and back, then is read from the view.
      String registry = "http://127.0.0.1:" + node.schemaRegistryAddress().orElseThrow().getPort();
      HttpResponse<String> registered = http.send(HttpRequest.newBuilder(URI.create(registry
              + "/subjects/wire-value/versions"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"schema\": \"\\\"string\\\"\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, registered.statusCode(), registered.body());
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(registry + "/subjects/wire-value/versions/1"))
          .build(), HttpResponse.BodyHandlers.ofString()).statusCode());

      // The native protocol: producer, reader, group consumer.
      String ws = "ws://127.0.0.1:" + node.httpPort();
      try (Producer producer = Producer.create(ProducerSettings.create(client).withBootstrap(ws), client)) {
        result(producer.send(dev.runnel.client.ProducerRecord.of(TOPIC, utf8("n"), utf8("native-1"))));
      }
      List<ConsumerRecord> read2 = result(Consumer.plainSource(ConsumerSettings.create(client).withBootstrap(ws),
              Subscription.earliest(TOPIC, 2))
          .take(10)
          .runWith(Sink.seq(), client));
      assertEquals(10, read2.size());
      List<CommittableMessage> grouped = result(Consumer.committableSource(ConsumerSettings.create(client)
                  .withBootstrap(ws)
                  .withGroup(new ConsumerSettings.Group(Duration.ofSeconds(6), Duration.ofMillis(200),
                      Duration.ofSeconds(20), "cooperative-sticky", ConsumerSettings.AutoOffsetReset.EARLIEST,
                      Duration.ofMinutes(2))),
              "native-" + GROUP, Set.of(TOPIC))
          .take(5)
          .runWith(Sink.seq(), client));
      assertEquals(5, grouped.size());

      // Meanwhile the idle sweep has woken every partition each second. Last, the topic and its partitions go.
      admin.deleteTopics(List.of(TOPIC)).all().get(60, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(30)).until(() -> node.broker().topic(TOPIC).isEmpty());
    }
    assertTrue(serializationFailures.isEmpty(), "messages that failed the serialization check: "
        + serializationFailures.stream().map(Logging.Error::message).toList());
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static <T> T result(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
