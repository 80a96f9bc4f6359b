package dev.runnel.broker;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.util.Timeout;
import scala.concurrent.ExecutionContext;
import scala.concurrent.ExecutionContext$;
import scala.concurrent.Future;

/**
 * An ask to a sharded entity whose stage completes on the thread that delivers the answer, not on another pool.
 *
 * <p>The javadsl {@code EntityRef.ask} returns Scala's converted {@code CompletionStage}, which runs every
 * dependent stage asynchronously on {@code ForkJoinPool.commonPool()}: on the produce and fetch path that is one
 * more thread hand-off (a pool thread woken, a context switch) for every partition's answer. Here the answer completes a plain {@link CompletableFuture} from within the Scala promise's callback,
 * run on the completing thread, so what depends on it runs at once on the replying thread: the partition
 * entity's dispatcher thread for a local partition, the remote-message thread for one on another node. Dependents
 * must therefore never block, which holds for the protocol handlers (see {@code STYLE.md}: no blocking on Pekko
 * dispatcher threads).
 *
 * <p>Timeouts and the delivery through sharding are {@code EntityRef.ask}'s own; only the thread that completes the
 * stage differs. Thread-safe.
 */
final class DirectAsk {

  /** Runs the callback on the thread that completes the Scala promise, as Scala's own parasitic context does. */
  private static final ExecutionContext ON_COMPLETING_THREAD = ExecutionContext$.MODULE$.fromExecutor(Runnable::run);

  private DirectAsk() {}

  /** Asks {@code entity}; the stage fails with Pekko's {@code AskTimeoutException} after {@code timeout}. */
  static <M, R> CompletableFuture<R> ask(
      EntityRef<M> entity, Function<ActorRef<R>, M> command, Duration timeout) {
    // EntityRef's implementation is both the javadsl and the scaladsl EntityRef; the scaladsl ask gives the Scala
    // future itself, before any conversion to a CompletionStage.
    @SuppressWarnings("unchecked")
    org.apache.pekko.cluster.sharding.typed.scaladsl.EntityRef<M> scaladsl =
        (org.apache.pekko.cluster.sharding.typed.scaladsl.EntityRef<M>) (Object) entity;
    Future<R> answer = scaladsl.ask(command::apply, Timeout.create(timeout));
    CompletableFuture<R> result = new CompletableFuture<>();
    answer.onComplete(outcome -> {
      if (outcome.isSuccess()) {
        result.complete(outcome.get());
      } else {
        result.completeExceptionally(outcome.failed().get());
      }
      return null;
    }, ON_COMPLETING_THREAD);
    return result;
  }
}
