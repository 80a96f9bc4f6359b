package dev.runnel.broker;

import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * What a node takes from its surroundings rather than from its configuration: the clock that retention and
 * compaction measure ages with, and where compaction filters records (by default Pekko's dispatcher for blocking
 * work, {@code pekko.actor.default-blocking-io-dispatcher}, so long runs never hold the actors' threads). Tests
 * pass a clock they move and an executor they can hold.
 */
public record NodeEnvironment(Clock clock, Optional<Executor> cleanerExecutor) {

  public static NodeEnvironment system() {
    return new NodeEnvironment(Clock.systemUTC(), Optional.empty());
  }
}
