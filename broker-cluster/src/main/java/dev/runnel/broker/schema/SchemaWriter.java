package dev.runnel.broker.schema;

import dev.runnel.broker.Broker;
import dev.runnel.broker.CborSerializable;
import dev.runnel.broker.partition.PartitionId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's one writer, run as a cluster singleton so that schema ids and versions are given out by one
 * decider for the whole cluster. It reads {@code _schemas} to its end before it takes a request (the topic is created
 * with the first change), then decides each write with {@link RegistryMachine} against that state, appends the
 * changes and answers once they are stored, one write at a time (others wait in the stash). A failed append may still have been
 * stored, so after one it reads the topic again before the next write.
 */
public final class SchemaWriter {

  public static final String SINGLETON_NAME = "schema-writer";

  private static final Logger log = LoggerFactory.getLogger(SchemaWriter.class);

  /** Requests cross nodes to the singleton (Jackson CBOR); the actor's own messages never leave it. */
  public sealed interface Command {}

  /** A write that crosses nodes: decided against the writer's state, answered with a {@link Written}. */
  public sealed interface Write extends Command, CborSerializable {
    ActorRef<Written> replyTo();
  }

  public record Register(String subject, SchemaDraft draft, ActorRef<Written> replyTo) implements Write {}

  public record DeleteSubject(String subject, boolean permanent, ActorRef<Written> replyTo) implements Write {}

  public record DeleteVersion(String subject, String version, boolean permanent, ActorRef<Written> replyTo)
      implements Write {}

  /** Sets a level: {@code subject} null for the global one. */
  public record SetConfig(String subject, CompatibilityLevel level, ActorRef<Written> replyTo) implements Write {}

  /** Removes a level: {@code subject} null for the global one. */
  public record DeleteConfig(String subject, ActorRef<Written> replyTo) implements Write {}

  /**
   * A write's outcome: its answer, or the error that refused it. {@code nextOffset} is where {@code _schemas} ends
   * after it, so a node can wait until its view has read that far before it answers the client.
   */
  public record Written(WriteAnswer answer, RegistryError error, long nextOffset)
      implements CborSerializable {}

  private record Loaded(PartitionId partition, RegistryState state, long nextOffset)
      implements Command, NoSerializationVerificationNeeded {}

  private record LoadFailed(Throwable cause) implements Command, NoSerializationVerificationNeeded {}

  private enum Reload implements Command, NoSerializationVerificationNeeded { INSTANCE }

  private record Stored(Write write, PartitionId partition, List<Change> changes, WriteAnswer answer, long nextOffset)
      implements Command, NoSerializationVerificationNeeded {}

  private record StoreFailed(Write write, Throwable cause) implements Command, NoSerializationVerificationNeeded {}

  private final ActorContext<Command> context;
  private final StashBuffer<Command> stash;
  private final SchemaLog schemaLog;
  private final SchemaRegistrySettings settings;

  private SchemaWriter(ActorContext<Command> context, StashBuffer<Command> stash, SchemaLog schemaLog,
      SchemaRegistrySettings settings) {
    this.context = context;
    this.stash = stash;
    this.schemaLog = schemaLog;
    this.settings = settings;
  }

  static Behavior<Command> create(SchemaLog schemaLog, SchemaRegistrySettings settings) {
    return Behaviors.withStash(10_000, stash -> Behaviors.setup(context ->
        new SchemaWriter(context, stash, schemaLog, settings).loading()));
  }

  private Behavior<Command> loading() {
    context.pipeToSelf(schemaLog.existing().thenCompose(found -> {
      RegistryState state = new RegistryState();
      if (found.isEmpty()) {
        return CompletableFuture.completedFuture(new Loaded(null, state, 0L));
      }
      return readToEnd(found.get(), state, 0L).thenApply(next -> new Loaded(found.get(), state, next));
    }), (loaded, failure) -> failure == null ? loaded : new LoadFailed(failure));
    return Behaviors.receive(Command.class)
        .onMessage(Loaded.class, loaded -> {
          log.info("Schema writer: read {} to offset {}, last schema id {}", schemaLog.topic(), loaded.nextOffset(),
              loaded.state().lastId());
          return stash.unstashAll(ready(loaded.partition(), loaded.state(), loaded.nextOffset()));
        })
        .onMessage(LoadFailed.class, failed -> {
          log.warn("Schema writer: reading {} failed, retrying in {}: {}", schemaLog.topic(),
              settings.retryInterval(), failed.cause().toString());
          return Behaviors.withTimers(timers -> {
            timers.startSingleTimer(Reload.INSTANCE, settings.retryInterval());
            return Behaviors.receive(Command.class)
                .onMessageEquals(Reload.INSTANCE, this::loading)
                .onMessage(Write.class, this::stashed)
                .build();
          });
        })
        .onMessage(Write.class, this::stashed)
        .build();
  }

  private Behavior<Command> stashed(Write write) {
    if (stash.isFull()) {
      write.replyTo().tell(new Written(null, RegistryError.of(RegistryError.OPERATION_TIMEOUT,
          "The schema writer is busy; retry"), -1));
    } else {
      stash.stash(write);
    }
    return Behaviors.same();
  }

  private CompletionStage<Long> readToEnd(PartitionId partition, RegistryState state, long from) {
    return schemaLog.read(partition, from, Duration.ZERO).thenCompose(chunk -> {
      chunk.changes().forEach(state::apply);
      if (chunk.nextOffset() >= chunk.highWatermark() || chunk.nextOffset() == from) {
        return CompletableFuture.completedFuture(chunk.nextOffset());
      }
      return readToEnd(partition, state, chunk.nextOffset());
    });
  }

  /** Ready for the next write; {@code partition} is null while the topic does not exist. */
  private Behavior<Command> ready(PartitionId partition, RegistryState state, long nextOffset) {
    return Behaviors.receive(Command.class)
        .onMessage(Write.class, write -> {
          RegistryMachine.Decision decision;
          try {
            decision = decide(state, write);
          } catch (RegistryException e) {
            write.replyTo().tell(new Written(null, e.error(), nextOffset));
            return Behaviors.same();
          } catch (RuntimeException e) {
            // A format library failing in a way it does not document must not stop the writer for everyone.
            log.error("Schema writer: deciding {} failed", write, e);
            write.replyTo().tell(new Written(null, RegistryError.of(RegistryError.STORE_ERROR,
                "The registry could not decide this request: " + e), nextOffset));
            return Behaviors.same();
          }
          if (decision.changes().isEmpty()) {
            write.replyTo().tell(new Written(decision.answer(), null, nextOffset));
            return Behaviors.same();
          }
          CompletionStage<PartitionId> target = partition != null
              ? CompletableFuture.completedFuture(partition)
              : schemaLog.ensure();
          context.pipeToSelf(target.thenCompose(to -> schemaLog.append(to, decision.changes())
                  .thenApply(next -> new Stored(write, to, decision.changes(), decision.answer(), next))),
              (stored, failure) -> failure == null ? stored : new StoreFailed(write, failure));
          return writing(state);
        })
        .build();
  }

  private Behavior<Command> writing(RegistryState state) {
    return Behaviors.receive(Command.class)
        .onMessage(Stored.class, stored -> {
          stored.changes().forEach(state::apply);
          stored.write().replyTo().tell(new Written(stored.answer(), null, stored.nextOffset()));
          return stash.unstashAll(ready(stored.partition(), state, stored.nextOffset()));
        })
        .onMessage(StoreFailed.class, failed -> {
          Throwable cause = Broker.unwrap(failed.cause());
          RegistryError error = cause instanceof RegistryException refused
              ? refused.error()
              : RegistryError.of(RegistryError.STORE_ERROR, "Error while storing the schema change: " + cause);
          log.warn("Schema writer: append to {} failed, reading it again: {}", schemaLog.topic(), error.message());
          failed.write().replyTo().tell(new Written(null, error, -1));
          return loading();
        })
        .onMessage(Write.class, this::stashed)
        .build();
  }

  private RegistryMachine.Decision decide(RegistryState state, Write write) {
    if (write instanceof Register register) {
      return RegistryMachine.register(state, register.subject(), register.draft(), settings.defaultCompatibility());
    } else if (write instanceof DeleteSubject delete) {
      return RegistryMachine.deleteSubject(state, delete.subject(), delete.permanent());
    } else if (write instanceof DeleteVersion delete) {
      return RegistryMachine.deleteVersion(state, delete.subject(), delete.version(), delete.permanent());
    } else if (write instanceof SetConfig set) {
      return RegistryMachine.setConfig(set.subject(), set.level());
    } else if (write instanceof DeleteConfig delete) {
      return RegistryMachine.deleteConfig(state, delete.subject(), settings.defaultCompatibility());
    }
    throw new IllegalStateException("Unknown write " + write);
  }
}
