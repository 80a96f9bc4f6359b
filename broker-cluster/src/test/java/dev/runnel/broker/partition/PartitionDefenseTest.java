package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.MalformedBatches;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The partition entity's own defense, with the door's validation bypassed: batches whose header would make the
 * offsets go backwards are refused by the entity, which neither stops nor holds up the appends queued behind them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PartitionDefenseTest {

  private RunnelNode node;

  @BeforeEach
  void start() {
    node = TestNodes.start(TestNodes.newDataDir());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void when_negativeLastOffsetDeltasReachThePartition_then_theyAreRefusedAndTheAppendsBehindThemAreStoredAtOnce()
      throws Exception {
    TopicMetadata topic = node.broker().createTopic("defended", 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    EntityRef<Partition.Command> entity = ClusterSharding.get(node.system())
        .entityRefFor(Partition.ENTITY_KEY, PartitionId.of(topic, 0).entityId());
    long now = System.currentTimeMillis();
    Duration patience = Duration.ofSeconds(5);
    // Offsets 10 onwards first, so that a delta of -5 would put the last offset below the base, as in the crash seen.
    assertEquals(Errors.NONE, append(entity, goodRecords(now, 10), patience).get().error());

    List<ByteBuffer> appends = List.of(
        MalformedBatches.withHeaderInt(MalformedBatches.good(now), MalformedBatches.LAST_OFFSET_DELTA, -5),
        MalformedBatches.good(now),
        MalformedBatches.withHeaderInt(MalformedBatches.good(now), MalformedBatches.LAST_OFFSET_DELTA, Integer.MIN_VALUE),
        MalformedBatches.good(now));
    List<CompletableFuture<AppendResult>> answers = appends.stream().map(records -> append(entity, records, patience))
        .toList();

    assertEquals(Errors.INVALID_RECORD, answers.get(0).get().error(), answers.get(0).get().errorMessage());
    assertEquals(10, answers.get(1).get().baseOffset(), "stored right behind the refused append");
    assertEquals(Errors.INVALID_RECORD, answers.get(2).get().error());
    assertEquals(13, answers.get(3).get().baseOffset());
    PartitionStatus status = entity.<PartitionStatus>ask(Partition.GetStatus::new, patience).toCompletableFuture().get();
    assertEquals(16, status.logEndOffset());
  }

  private static ByteBuffer goodRecords(long now, int count) {
    String[] values = new String[count];
    for (int i = 0; i < count; i++) {
      values[i] = "first-" + i;
    }
    return MalformedBatches.good(now, org.apache.kafka.common.compress.Compression.NONE, values);
  }

  private static CompletableFuture<AppendResult> append(EntityRef<Partition.Command> entity, ByteBuffer records,
      Duration patience) {
    return entity.<AppendResult>ask(replyTo -> new Partition.Append(records, replyTo), patience).toCompletableFuture();
  }
}
