package dev.runnel.client;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** Stops a consumer source from outside the stream. Thread-safe. */
public interface Control {

  /** Completes the source after the records already emitted, and closes its connection. */
  CompletionStage<Done> shutdown();

  /** Completes when the source has stopped, for any reason. */
  CompletionStage<Done> isShutdown();
}
