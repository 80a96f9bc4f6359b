package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.group.OffsetReset;
import dev.runnel.broker.group.PartitionLag;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.GroupSubscribedToTopicException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Group administration with kafka-clients' Admin (ListGroups, DescribeGroups, OffsetFetch, OffsetCommit from
 * outside the group, OffsetDelete, DeleteGroups), and lag and offset resets through the broker's group facade.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaGroupAdminTest {

  private static final String TOPIC = "admin-groups";
  private static RunnelNode node;
  private static Admin admin;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of("runnel.broker.group.initial-rebalance-delay", "0 s"));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      for (int i = 0; i < 100; i++) {
        producer.send(new ProducerRecord<>(TOPIC, i % 2, null, "v" + i));
      }
    }
  }

  @AfterAll
  static void stop() {
    admin.close();
    node.close();
  }

  private static String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  private static KafkaConsumer<String, String> consumer(String group) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(config);
  }

  /** Reads until it has {@code count} records and commits them. */
  private static void readAndCommit(KafkaConsumer<String, String> consumer, int count) {
    consumer.subscribe(List.of(TOPIC));
    int read = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (read < count && System.nanoTime() < deadline) {
      read += consumer.poll(Duration.ofMillis(200)).count();
    }
    consumer.commitSync();
    assertEquals(count, read);
  }

  private static Throwable cause(Runnable call) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> {
      try {
        call.run();
      } catch (RuntimeException wrapped) {
        throw (Exception) wrapped.getCause();
      }
    });
    return e.getCause();
  }

  private static void get(org.apache.kafka.common.KafkaFuture<?> future) {
    try {
      future.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void when_groupIsActive_then_adminListsAndDescribesItAndRefusesToDeleteIt() throws Exception {
    try (KafkaConsumer<String, String> consumer = consumer("active")) {
      readAndCommit(consumer, 100);
      Set<String> listed = admin.listGroups().all().get(30, TimeUnit.SECONDS).stream()
          .map(GroupListing::groupId).collect(Collectors.toSet());
      assertTrue(listed.contains("active"), "listed: " + listed);
      ConsumerGroupDescription described =
          admin.describeConsumerGroups(List.of("active")).all().get(30, TimeUnit.SECONDS).get("active");
      assertEquals(GroupState.STABLE, described.groupState());
      assertEquals("range", described.partitionAssignor());
      assertEquals(1, described.members().size());
      assertEquals(Set.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)),
          described.members().iterator().next().assignment().topicPartitions());
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets("active").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      assertEquals(50, offsets.get(new TopicPartition(TOPIC, 0)).offset());

      assertInstanceOf(GroupNotEmptyException.class,
          cause(() -> get(admin.deleteConsumerGroups(List.of("active")).all())));
      assertInstanceOf(GroupSubscribedToTopicException.class, cause(() -> get(admin.deleteConsumerGroupOffsets(
          "active", Set.of(new TopicPartition(TOPIC, 0))).all())));
      assertEquals(Errors.NON_EMPTY_GROUP.code(), node.groups().resetOffsets("active", TOPIC,
          new OffsetReset.ToEarliest()).toCompletableFuture().get().partitions()
          .get(new TopicPartition(TOPIC, 0)).code(), "offsets are reset only while the group is empty");
    }
  }

  @Test
  void when_groupIsEmpty_then_offsetsCanBeResetAlteredDeletedAndTheGroupDeleted() throws Exception {
    try (KafkaConsumer<String, String> consumer = consumer("idle")) {
      readAndCommit(consumer, 100);
    }
    List<PartitionLag> lag = node.groups().lag("idle").toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(List.of(new PartitionLag(TOPIC, 0, 50, 50, 0, null), new PartitionLag(TOPIC, 1, 50, 50, 0, null)),
        lag);

    node.groups().resetOffsets("idle", TOPIC, new OffsetReset.ToOffset(10)).toCompletableFuture().get();
    assertEquals(40, node.groups().lag("idle").toCompletableFuture().get().get(0).lag());
    node.groups().resetOffsets("idle", TOPIC, new OffsetReset.ToEarliest()).toCompletableFuture().get();
    assertEquals(50, node.groups().lag("idle").toCompletableFuture().get().get(1).lag());
    node.groups().resetOffsets("idle", TOPIC, new OffsetReset.ToTimestamp(Long.MAX_VALUE - 1)).toCompletableFuture()
        .get();
    assertEquals(0, node.groups().lag("idle").toCompletableFuture().get().get(1).lag(),
        "no record that late: the end of the log");

    TopicPartition p0 = new TopicPartition(TOPIC, 0);
    admin.alterConsumerGroupOffsets("idle", Map.of(p0, new OffsetAndMetadata(7, "from admin")))
        .all().get(30, TimeUnit.SECONDS);
    OffsetAndMetadata altered =
        admin.listConsumerGroupOffsets("idle").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).get(p0);
    assertEquals(7, altered.offset());
    assertEquals("from admin", altered.metadata());

    admin.deleteConsumerGroupOffsets("idle", Set.of(p0)).all().get(30, TimeUnit.SECONDS);
    assertEquals(Set.of(new TopicPartition(TOPIC, 1)),
        admin.listConsumerGroupOffsets("idle").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).keySet());

    admin.deleteConsumerGroups(List.of("idle")).all().get(30, TimeUnit.SECONDS);
    assertInstanceOf(GroupIdNotFoundException.class,
        cause(() -> get(admin.describeConsumerGroups(List.of("idle")).all())));
    assertInstanceOf(GroupIdNotFoundException.class,
        cause(() -> get(admin.deleteConsumerGroups(List.of("idle")).all())));
  }
}
