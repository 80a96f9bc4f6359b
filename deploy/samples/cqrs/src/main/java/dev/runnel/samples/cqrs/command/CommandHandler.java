package dev.runnel.samples.cqrs.command;

import dev.runnel.client.EventStore;
import dev.runnel.samples.cqrs.domain.Decider;
import dev.runnel.samples.cqrs.domain.Decision;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin shell around a {@link Decider}: loads the stream's state by reading its events through the EventStore,
 * asks the decider, and appends the decided events expecting the version it read. When another writer appended in
 * between (a version conflict), the decision is stale: the handler reads and decides again, at most
 * {@code maxAttempts} times in all, so every stored event was decided on the state it follows and no two events of a
 * stream get the same version. Thread-safe.
 */
public final class CommandHandler<S, C, E> {

  private static final Logger log = LoggerFactory.getLogger(CommandHandler.class);

  private final EventStore store;
  private final ClassicActorSystemProvider system;
  private final Decider<S, C, E> decider;
  private final EventCodec<E> codec;
  private final int maxAttempts;

  /** A stream's state and version (its number of events) as read. */
  private record Loaded<S>(S state, long version) {}

  public CommandHandler(EventStore store, ClassicActorSystemProvider system, Decider<S, C, E> decider,
      EventCodec<E> codec, int maxAttempts) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, not " + maxAttempts);
    }
    this.store = store;
    this.system = system;
    this.decider = decider;
    this.codec = codec;
    this.maxAttempts = maxAttempts;
  }

  public CompletionStage<CommandOutcome> handle(String streamId, C command) {
    return attempt(streamId, command, 1);
  }

  private CompletionStage<CommandOutcome> attempt(String streamId, C command, int attempt) {
    return load(streamId).thenCompose(loaded -> {
      Decision<E> decision = decider.decide(loaded.state(), command);
      if (decision instanceof Decision.Reject<E> reject) {
        return CompletableFuture.completedFuture(new CommandOutcome.Rejected(streamId, reject.error(),
            reject.message()));
      }
      List<E> events = ((Decision.Accept<E>) decision).events();
      if (events.isEmpty()) {
        return CompletableFuture.completedFuture(new CommandOutcome.Accepted(streamId, loaded.version(), List.of(), attempt));
      }
      return store.append(streamId, loaded.version(), events.stream().map(codec::encode).toList())
          .thenCompose(result -> {
            if (result instanceof EventStore.Appended appended) {
              List<String> types = events.stream().map(event -> event.getClass().getSimpleName()).toList();
              return CompletableFuture.completedFuture(
                  new CommandOutcome.Accepted(streamId, appended.version(), types, attempt));
            }
            EventStore.Conflict conflict = (EventStore.Conflict) result;
            if (attempt >= maxAttempts) {
              log.info("stream {}: command {} lost {} races in a row (now at version {}), refused", streamId,
                  command, attempt, conflict.currentVersion());
              return CompletableFuture.completedFuture(
                  new CommandOutcome.Contended(streamId, attempt, conflict.currentVersion()));
            }
            log.debug("stream {}: version {} expected, {} found; deciding again", streamId,
                conflict.expectedVersion(), conflict.currentVersion());
            return attempt(streamId, command, attempt + 1);
          });
    });
  }

  private CompletionStage<Loaded<S>> load(String streamId) {
    return store.read(streamId, 1).runWith(Sink.fold(new Loaded<>(decider.initial(), 0),
        (loaded, event) -> new Loaded<>(decider.evolve(loaded.state(), codec.decode(event)), loaded.version() + 1)),
        system);
  }
}
