package dev.runnel.broker.schema;

import dev.runnel.broker.Broker;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The registry as this node serves it: reads from its own {@link SchemaView}, writes through the cluster's one
 * {@link SchemaWriter}, each write answered once this node's view holds it. Thread-safe.
 */
public final class SchemaRegistry {

  private final ActorSystem<?> system;
  private final SchemaRegistrySettings settings;
  private final SchemaView view;
  private final ActorRef<SchemaWriter.Command> writer;

  private SchemaRegistry(ActorSystem<?> system, SchemaRegistrySettings settings, SchemaView view,
      ActorRef<SchemaWriter.Command> writer) {
    this.system = system;
    this.settings = settings;
    this.view = view;
    this.writer = writer;
  }

  /** Starts this node's view and its proxy to the writer singleton (which runs on the oldest node). */
  public static SchemaRegistry start(ActorSystem<?> system, Broker broker, SchemaRegistrySettings settings) {
    SchemaLog schemaLog = new SchemaLog(broker, settings);
    SchemaView view = new SchemaView(system, schemaLog, settings);
    view.start();
    ActorRef<SchemaWriter.Command> writer = ClusterSingleton.get(system)
        .init(SingletonActor.of(SchemaWriter.create(schemaLog, settings), SchemaWriter.SINGLETON_NAME));
    return new SchemaRegistry(system, settings, view, writer);
  }

  public SchemaRegistrySettings settings() {
    return settings;
  }

  /** The registry as this node has read it. */
  RegistryState state() {
    return view.state();
  }

  /**
   * Asks the writer to make a change; completes with its answer once this node's view holds it, or fails with a
   * {@link RegistryException} (the writer's refusal, or 50002 when the writer or the view takes too long).
   */
  CompletionStage<WriteAnswer> write(Function<ActorRef<SchemaWriter.Written>, SchemaWriter.Write> write) {
    return AskPattern.<SchemaWriter.Command, SchemaWriter.Written>ask(
            writer, write::apply, settings.requestTimeout(), system.scheduler())
        .exceptionallyCompose(failure -> CompletableFuture.failedFuture(
            failure instanceof RegistryException ? failure : new RegistryException(RegistryError.of(
                RegistryError.OPERATION_TIMEOUT, "The schema writer did not answer within "
                    + settings.requestTimeout()))))
        .thenCompose(written -> {
          if (written.error() != null) {
            return CompletableFuture.failedFuture(new RegistryException(written.error()));
          }
          return view.readUpTo(written.nextOffset()).thenApply(state -> written.answer());
        });
  }
}
