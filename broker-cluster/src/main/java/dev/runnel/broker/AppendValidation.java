package dev.runnel.broker;

import com.typesafe.config.Config;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.BatchValidator;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicConfig;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;

/**
 * The stage every append passes on its way to its partition: {@link BatchValidator} over its bytes, then the hand-over
 * to the partition, or a refusal that never reaches it. Small uncompressed appends are checked on the calling
 * thread; large and compressed ones on a dedicated executor, so a slow decompression never holds a Pekko dispatcher
 * thread.
 *
 * <p>Appends to one partition are handed over in the order this stage was called, whichever of them needed the
 * executor: an idempotent producer pipelines requests and relies on them reaching the partition in order. An
 * append waits only for the appends to the same partition that were called before it. Thread-safe.
 */
final class AppendValidation {

  /**
   * The settings in {@code runnel.broker.append-validation}.
   *
   * @param inlineMaxBytes uncompressed appends up to this size are checked on the calling thread
   * @param maxDecompressedBatchBytes the most bytes one compressed batch may decompress to
   */
  record Settings(int inlineMaxBytes, int maxDecompressedBatchBytes) {

    static final String DISPATCHER = "runnel.broker.append-validation.dispatcher";

    Settings {
      if (inlineMaxBytes < 0) {
        throw new IllegalArgumentException("runnel.broker.append-validation.inline-max-bytes must not be negative");
      }
      if (maxDecompressedBatchBytes < 1) {
        throw new IllegalArgumentException(
            "runnel.broker.append-validation.max-decompressed-batch-bytes must be positive");
      }
    }

    static Settings create(Config config) {
      Config validation = config.getConfig("runnel.broker.append-validation");
      return new Settings(
          (int) Math.min(Integer.MAX_VALUE, validation.getBytes("inline-max-bytes")),
          (int) Math.min(Integer.MAX_VALUE, validation.getBytes("max-decompressed-batch-bytes")));
    }
  }

  private static final int LENGTH_OFFSET = 8;
  private static final int LOG_OVERHEAD = 12;
  private static final int ATTRIBUTES_OFFSET = 21;
  private static final int COMPRESSION_MASK = 0x07;

  private final Settings settings;
  private final Executor executor;
  private final Clock clock;
  /** Per partition, the hand-over of the newest append still waiting for its check or for one before it. */
  private final ConcurrentMap<PartitionId, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();

  AppendValidation(Settings settings, Executor executor, Clock clock) {
    this.settings = settings;
    this.executor = executor;
    this.clock = clock;
  }

  /**
   * Checks {@code records} against the topic's rules and, when valid, hands them to {@code handOver} (which must not
   * block); the stage completes with the partition's answer, or with the refusal.
   */
  CompletionStage<AppendResult> append(PartitionId partition, ByteBuffer records, TopicConfig config,
      Function<ByteBuffer, CompletionStage<AppendResult>> handOver) {
    BatchValidator.Rules rules = BatchValidator.Rules.of(config, settings.maxDecompressedBatchBytes());
    CompletableFuture<ApiException> check = inline(records)
        ? CompletableFuture.completedFuture(check(records, rules))
        : CompletableFuture.supplyAsync(() -> check(records, rules), executor);
    CompletableFuture<AppendResult> result = new CompletableFuture<>();
    Runnable proceed = () -> proceed(check, records, handOver, result);
    if (check.isDone() && waiting.get(partition) == null) {
      proceed.run();
      return result;
    }
    // The newest hand-over of the partition is swapped in atomically, so each append waits for exactly the one
    // called before it; a hand-over completes (normally) once its append was handed over or refused.
    CompletableFuture<Void> handedOver = new CompletableFuture<>();
    CompletableFuture<Void> previous = waiting.put(partition, handedOver);
    CompletableFuture<?> gate = previous == null ? check : CompletableFuture.allOf(previous, check);
    gate.whenComplete((ready, failure) -> {
      try {
        proceed.run();
      } finally {
        handedOver.complete(null);
        waiting.remove(partition, handedOver);
      }
    });
    return result;
  }

  /** Whether the check is cheap enough for the calling thread: small, and no batch header names a codec. */
  private boolean inline(ByteBuffer records) {
    if (records.remaining() > settings.inlineMaxBytes()) {
      return false;
    }
    // Only the headers are read here, jumping by their lengths; the validator checks those lengths properly.
    int position = records.position();
    while (position + DefaultRecordBatch.RECORD_BATCH_OVERHEAD <= records.limit()) {
      if ((records.getShort(position + ATTRIBUTES_OFFSET) & COMPRESSION_MASK) != 0) {
        return false;
      }
      long next = position + LOG_OVERHEAD + (long) records.getInt(position + LENGTH_OFFSET);
      if (next <= position || next > records.limit()) {
        break;
      }
      position = (int) next;
    }
    return true;
  }

  private ApiException check(ByteBuffer records, BatchValidator.Rules rules) {
    try {
      BatchValidator.validate(records, rules, clock.millis());
      return null;
    } catch (ApiException refused) {
      return refused;
    }
  }

  private static void proceed(CompletableFuture<ApiException> check, ByteBuffer records,
      Function<ByteBuffer, CompletionStage<AppendResult>> handOver, CompletableFuture<AppendResult> result) {
    ApiException refused;
    try {
      refused = check.join();
    } catch (RuntimeException e) {
      // The validator throws nothing but ApiExceptions; anything else is its bug, and never a reason to store.
      refused = new CorruptRecordException("The append could not be validated: " + e.getCause(), e);
    }
    if (refused != null) {
      result.complete(AppendResult.refused(refused));
      return;
    }
    try {
      handOver.apply(records).whenComplete((answer, failure) -> {
        if (failure != null) {
          result.completeExceptionally(failure);
        } else {
          result.complete(answer);
        }
      });
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
  }
}
