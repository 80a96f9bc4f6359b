package dev.runnel.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.HeldExecutor;
import dev.runnel.broker.testkit.MalformedBatches;
import dev.runnel.broker.topic.TopicConfig;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AppendValidationTest {

  private static final TopicConfig CONFIG = TopicConfig.resolve(
      TopicConfig.defaults(ConfigFactory.load().getConfig("runnel.broker.topic-defaults")), Map.of());
  private static final PartitionId PARTITION = new PartitionId("t", "id", 0);
  private static final PartitionId OTHER = new PartitionId("t", "id", 1);

  private final HeldExecutor executor = new HeldExecutor();
  private final AppendValidation validation =
      new AppendValidation(new AppendValidation.Settings(64 << 10, 1 << 20), executor, Clock.systemUTC());
  private final List<ByteBuffer> handedOver = Collections.synchronizedList(new ArrayList<>());
  private final Function<ByteBuffer, java.util.concurrent.CompletionStage<AppendResult>> partition = records -> {
    handedOver.add(records);
    return CompletableFuture.completedFuture(AppendResult.stored(handedOver.size() - 1, 0));
  };

  private CompletableFuture<AppendResult> append(PartitionId id, ByteBuffer records) {
    return validation.append(id, records, CONFIG, partition).toCompletableFuture();
  }

  @Test
  void when_aCompressedAppendIsStillBeingCheckedOffThread_then_appendsBehindItWaitAndKeepTheirOrder()
      throws Exception {
    long now = System.currentTimeMillis();
    ByteBuffer compressed = MalformedBatches.good(now, Compression.gzip().build(), "a", "b");
    ByteBuffer plain = MalformedBatches.good(now);
    ByteBuffer elsewhere = MalformedBatches.good(now);

    CompletableFuture<AppendResult> first = append(PARTITION, compressed);
    CompletableFuture<AppendResult> second = append(PARTITION, plain);
    CompletableFuture<AppendResult> other = append(OTHER, elsewhere);

    assertEquals(1, executor.heldTasks(), "the compressed append is checked on the executor");
    assertEquals(List.of(elsewhere), handedOver, "only the other partition's append went ahead");
    assertTrue(!second.isDone(), "the plain append waits for the compressed one before it");
    executor.release();
    first.get(10, TimeUnit.SECONDS);
    second.get(10, TimeUnit.SECONDS);
    assertEquals(Errors.NONE, other.get().error());
    assertEquals(List.of(elsewhere, compressed, plain), handedOver, "same order as called, per partition");
  }

  @Test
  void when_anAppendIsRefused_then_itNeverReachesThePartitionAndTheOneBehindItDoes() throws Exception {
    long now = System.currentTimeMillis();
    ByteBuffer bad = MalformedBatches.withHeaderInt(MalformedBatches.good(now, Compression.lz4().build(), "x"),
        MalformedBatches.LAST_OFFSET_DELTA, -5);
    ByteBuffer good = MalformedBatches.good(now);
    CompletableFuture<AppendResult> refused = append(PARTITION, bad);
    CompletableFuture<AppendResult> stored = append(PARTITION, good);
    executor.release();
    assertEquals(Errors.INVALID_RECORD, refused.get(10, TimeUnit.SECONDS).error());
    assertEquals(Errors.NONE, stored.get(10, TimeUnit.SECONDS).error());
    assertEquals(List.of(good), handedOver);
  }

  @Test
  void when_anUncompressedAppendIsLargerThanTheInlineLimit_then_itIsCheckedOnTheExecutor() throws Exception {
    String[] values = new String[2000];
    java.util.Arrays.fill(values, "0123456789012345678901234567890123456789");
    ByteBuffer large = MalformedBatches.good(System.currentTimeMillis(), Compression.NONE, values);
    assertTrue(large.remaining() > 64 << 10);
    CompletableFuture<AppendResult> result = append(PARTITION, large);
    assertEquals(1, executor.heldTasks());
    executor.release();
    assertEquals(Errors.NONE, result.get(10, TimeUnit.SECONDS).error());
  }
}
