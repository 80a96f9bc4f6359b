package dev.runnel.client;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** Stops a consumer source from outside the stream. Thread-safe. */
public interface Control {

  /**
   * Completes the source after the records already emitted, but keeps it connected (and, for a group source, a
   * member of its group) so that what it emitted can still be committed. Completes when the source has completed
   * its output.
   */
  CompletionStage<Done> stop();

  /** Completes the source after the records already emitted, leaves its group if it has one, and disconnects. */
  CompletionStage<Done> shutdown();

  /** Completes when the source has stopped, for any reason. */
  CompletionStage<Done> isShutdown();

  /**
   * Like Pekko Connectors Kafka's DrainingControl: stops the source, waits for {@code streamCompletion} (the
   * completion of the stream's end, typically {@link Committer#sink}, so that every record emitted has been
   * processed and committed), then shuts the source down. Completes with the stream's result, or its failure,
   * once the source is shut down.
   */
  default <T> CompletionStage<T> drainAndShutdown(CompletionStage<T> streamCompletion) {
    return stop()
        .thenCompose(stopped -> streamCompletion)
        .handle((result, failure) -> shutdown().handle((done, shutdownFailure) -> {
          if (failure != null) {
            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
          }
          return result;
        }))
        .thenCompose(stage -> stage);
  }
}
