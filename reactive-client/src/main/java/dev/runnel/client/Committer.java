package dev.runnel.client;

import dev.runnel.client.internal.GroupOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Commits offsets of {@link Consumer#committableSource} in batches: a batch holds up to {@code max-batch} offsets
 * and waits at most {@code max-interval}; of each partition only the highest offset is sent. Batches are committed
 * one after the other, in order, so a partition's committed offset never goes back. When the stream completes,
 * the last batch is committed before the sink's stage completes. A refused commit fails the stream with
 * {@link RunnelException}.
 */
public final class Committer {

  private Committer() {}

  /** Commits each batch and emits {@code Done} once it is committed. */
  public static Flow<CommittableOffset, Done, NotUsed> flow(CommitterSettings settings) {
    return Flow.<CommittableOffset>create()
        .groupedWithin(settings.maxBatch(), settings.maxInterval())
        .mapAsync(1, Committer::commit);
  }

  /** Commits every offset it receives; completes when the last batch is committed. */
  public static Sink<CommittableOffset, CompletionStage<Done>> sink(CommitterSettings settings) {
    return flow(settings).toMat(Sink.ignore(), Keep.right());
  }

  private static CompletionStage<Done> commit(List<CommittableOffset> batch) {
    // Per source, per partition, the highest offset: committing it covers the lower ones.
    Map<GroupOffset.Committer, Map<String, GroupOffset>> highest = new LinkedHashMap<>();
    for (CommittableOffset offset : batch) {
      if (!(offset instanceof GroupOffset group)) {
        throw new IllegalArgumentException("not an offset of a Runnel committable source: " + offset);
      }
      highest.computeIfAbsent(group.committer(), committer -> new LinkedHashMap<>())
          .merge(group.topic() + "-" + group.partition(), group, (a, b) -> a.offset() >= b.offset() ? a : b);
    }
    List<CompletableFuture<Done>> commits = new ArrayList<>();
    highest.forEach((committer, offsets) ->
        commits.add(committer.commit(List.copyOf(offsets.values())).toCompletableFuture()));
    return CompletableFuture.allOf(commits.toArray(CompletableFuture[]::new)).thenApply(done -> Done.getInstance());
  }
}
