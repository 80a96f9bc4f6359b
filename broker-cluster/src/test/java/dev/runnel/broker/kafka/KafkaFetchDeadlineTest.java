package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.HeldJournalWrite;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Fetch of two partitions while one cannot answer (its journal write is held, so it stashes the fetch, as a
 * partition on a lost or moving node would not answer): the response comes once the other answered and max_wait
 * (at least a second) passed, with the other's records, and the held one empty, without an error (Kafka
 * consumers throw on an error code they do not expect) and with high watermark -1, which they ignore.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaFetchDeadlineTest {

  private static final short VERSION = 12;
  private static final String TOPIC = "fetch-deadlines";

  private Config config;
  private RunnelNode node;

  @BeforeEach
  void start() {
    Path dataDir = TestNodes.newDataDir();
    Map<String, Object> extra = Map.of(
        // Longer than the test holds the write: only the Fetch's own deadline can answer the held partition.
        "runnel.broker.partition.request-timeout", "8 s",
        // The write is held by a row lock of the H2 journal (HeldJournalWrite): this test runs on the h2 profile.
        "runnel.persistence.profile", "h2",
        "runnel.persistence.h2.url-options", ";WRITE_DELAY=0;LOCK_TIMEOUT=100000");
    config = TestNodes.config(dataDir, extra);
    node = TestNodes.start(dataDir, extra);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void when_onePartitionCannotAnswer_then_aFetchAnswersTheOtherWithoutWaitingForIt() throws Exception {
    LogProbe.await(node.broker().createTopic(TOPIC, 2, Map.of()));
    PartitionId held = node.broker().partition(TOPIC, 0);
    PartitionId free = node.broker().partition(TOPIC, 1);
    for (PartitionId partition : List.of(held, free)) {
      LogProbe.await(node.broker().append(partition, LogProbe.batch(1L, List.of("k"), List.of("v")), (short) 1));
    }
    FetchRequestData.FetchTopic topic = new FetchRequestData.FetchTopic().setTopic(TOPIC);
    for (int p = 0; p < 2; p++) {
      topic.partitions().add(new FetchRequestData.FetchPartition().setPartition(p).setFetchOffset(0)
          .setPartitionMaxBytes(1 << 20));
    }
    FetchRequestData data = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(500).setMinBytes(1)
        .setMaxBytes(1 << 20).setTopics(List.of(topic));
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort());
        HeldJournalWrite hold = HeldJournalWrite.hold(config, held, 2)) {
      CompletionStage<AppendResult> stuck =
          node.broker().append(held, LogProbe.batch(2L, List.of("k"), List.of("held")), (short) 1);
      // Only once the write waits in the database is the partition stashing: a Fetch that reached it before the
      // append's group commit began was answered at once, with its high watermark (seen in CI on a busy machine).
      hold.awaitBlockedWrite(Duration.ofSeconds(30));
      long start = System.nanoTime();
      FetchResponse response = connection.call(new FetchRequest(data, VERSION));
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      List<FetchResponseData.PartitionData> partitions = response.data().responses().get(0).partitions();
      FetchResponseData.PartitionData heldAnswer = partitions.get(0);
      FetchResponseData.PartitionData freeAnswer = partitions.get(1);
      assertEquals(Errors.NONE.code(), freeAnswer.errorCode());
      assertEquals(1, freeAnswer.highWatermark());
      assertTrue(((MemoryRecords) freeAnswer.records()).sizeInBytes() > 0, "the free partition's records");
      assertEquals(Errors.NONE.code(), heldAnswer.errorCode(), "no error a consumer would throw on");
      assertEquals(-1, heldAnswer.highWatermark(), "the held partition's offsets unknown");
      assertEquals(0, ((MemoryRecords) heldAnswer.records()).sizeInBytes());
      assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0,
          "answered by the Fetch's first-read deadline, not the partition request timeout (8 s): " + took);
      assertTrue(stuck.toCompletableFuture().getNow(null) == null, "the held partition was still held");
    }
  }
}
