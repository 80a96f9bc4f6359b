package dev.runnel.broker.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class TopicAdminTest {

  private Path dataDir;
  private RunnelNode node;
  private Broker broker;

  @BeforeEach
  void start() {
    dataDir = TestNodes.newDataDir();
    node = TestNodes.start(dataDir);
    broker = node.broker();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private Throwable failure(CompletionStage<?> stage) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
    return Broker.unwrap(e);
  }

  @Test
  void when_topicsAreCreatedWithBadNamesCountsOrConfigs_then_kafkasErrorsRefuseThem() {
    assertInstanceOf(InvalidTopicException.class, failure(broker.createTopic("a/b", 1, Map.of())));
    assertInstanceOf(InvalidTopicException.class, failure(broker.createTopic("..", 1, Map.of())));
    assertInstanceOf(InvalidTopicException.class, failure(broker.createTopic("x".repeat(250), 1, Map.of())));
    assertInstanceOf(InvalidTopicException.class, failure(broker.createTopic("", 1, Map.of())));
    assertInstanceOf(InvalidPartitionsException.class, failure(broker.createTopic("zero", 0, Map.of())));
    assertInstanceOf(InvalidConfigurationException.class,
        failure(broker.createTopic("cfg", 1, Map.of("retention.ms", "soon"))));
    assertInstanceOf(InvalidConfigurationException.class,
        failure(broker.createTopic("cfg", 1, Map.of("retention.ms", "-2"))));
    assertInstanceOf(InvalidConfigurationException.class,
        failure(broker.createTopic("cfg", 1, Map.of("cleanup.policy", "shred"))));
    assertInstanceOf(InvalidConfigurationException.class,
        failure(broker.createTopic("cfg", 1, Map.of("no.such.key", "1"))));
    assertEquals(0, broker.topics().size(), "nothing was created");
  }

  @Test
  void when_aTopicIsCreatedTwiceOrGrown_then_theRegistryAnswersLikeKafka() throws Exception {
    TopicMetadata created = await(broker.createTopic("orders", 3, Map.of("retention.ms", "1000", "cleanup.policy", "compact")));
    assertEquals(3, created.partitions());
    assertEquals(1000, broker.topicConfig("orders").retentionMs());
    assertEquals("compact", broker.topicConfig("orders").cleanupPolicy());
    assertInstanceOf(TopicExistsException.class, failure(broker.createTopic("orders", 3, Map.of())));
    assertInstanceOf(InvalidPartitionsException.class, failure(broker.createPartitions("orders", 2)));
    assertEquals(5, await(broker.createPartitions("orders", 5)).partitions());
    assertInstanceOf(UnknownTopicOrPartitionException.class, failure(broker.createPartitions("missing", 5)));
    assertInstanceOf(UnknownTopicOrPartitionException.class, failure(broker.deleteTopic("missing")));
    assertInstanceOf(UnknownTopicOrPartitionException.class, assertThrows(RuntimeException.class,
        () -> broker.partition("orders", 5)));
  }

  @Test
  void when_aTopicIsDeleted_then_itsDataIsGoneAndItsNameCanBeReused() throws Exception {
    TopicMetadata first = await(broker.createTopic("reused", 1, Map.of()));
    PartitionId oldPartition = Broker.partition(first, 0);
    for (int i = 0; i < 5; i++) {
      assertEquals(Errors.NONE, await(broker.append(oldPartition, batch("secret-" + i), (short) 1)).error());
    }
    assertTrue(segmentFilesHold("secret-"), "the records are in the segment files before the deletion");
    await(broker.deleteTopic("reused"));
    Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
        .until(() -> LogProbe.journalEvents(node, oldPartition) == 0 && !segmentFilesHold("secret-"));

    TopicMetadata second = await(broker.createTopic("reused", 1, Map.of()));
    assertNotEquals(first.topicId(), second.topicId());
    PartitionId newPartition = Broker.partition(second, 0);
    assertEquals(0, await(broker.status(newPartition)).logEndOffset(), "the new topic starts empty");
    assertEquals(0, await(broker.append(newPartition, batch("fresh"), (short) 1)).baseOffset());
  }

  @Test
  void when_anUnknownTopicIsUsed_then_itIsCreatedWithTheDefaults() throws Exception {
    TopicMetadata topic = await(broker.topicForUse("auto-created"));
    assertEquals(1, topic.partitions());
    assertEquals(Map.of(), topic.configs());
  }

  /** Whether any file of the node's segment journal still holds these bytes (deleted data off the disk, or not). */
  private boolean segmentFilesHold(String text) throws Exception {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.walk(dataDir.resolve("segments"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(file);
        for (int i = 0; i + needle.length <= bytes.length; i++) {
          if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static java.nio.ByteBuffer batch(String value) {
    return MemoryRecords.withRecords(Compression.NONE,
        new SimpleRecord(System.currentTimeMillis(), null, value.getBytes(StandardCharsets.UTF_8))).buffer();
  }
}
