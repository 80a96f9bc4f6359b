package dev.runnel.broker.producer;

import dev.runnel.broker.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import java.time.Duration;

/**
 * Hands out producer ids for idempotent producers of both doors (Kafka's InitProducerId and the native streaming
 * protocol's), a cluster singleton that persists every
 * id it gives before giving it, so an id is never handed out twice, across restarts and singleton moves: partitions
 * keep sequence state per producer id, and a reused id would make a new producer's batches look like duplicates.
 * A producer asks once per life, so one journal write per id costs nothing that matters.
 */
public final class ProducerIdManager
    extends EventSourcedBehavior<ProducerIdManager.Command, ProducerIdManager.ProducerIdAllocated,
        ProducerIdManager.State> {

  /** Crosses nodes to the singleton: Jackson CBOR. The reply, a {@code Long}, has Pekko's own serializer. */
  public sealed interface Command extends CborSerializable {}

  /** Allocates the next producer id and replies with it. */
  public record AllocateProducerId(ActorRef<Long> replyTo) implements Command {}

  /** The event: this id is handed out, never to be handed out again. */
  public record ProducerIdAllocated(long producerId) {}

  /** The last id handed out; -1 before the first. */
  public record State(long lastProducerId) {}

  /** Named before the native protocol shared it; renaming it would forget the ids already handed out. */
  static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("kafka-producer-ids");
  /** The singleton's name, kept as first deployed so a rolling upgrade never runs two allocators. */
  public static final String SINGLETON_NAME = "kafka-producer-ids";

  private ProducerIdManager() {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
  }

  public static Behavior<Command> create() {
    return new ProducerIdManager();
  }

  @Override
  public State emptyState() {
    return new State(-1);
  }

  @Override
  public CommandHandler<Command, ProducerIdAllocated, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(AllocateProducerId.class, (state, command) -> {
          long id = state.lastProducerId() + 1;
          return Effect().persist(new ProducerIdAllocated(id)).thenReply(command.replyTo(), after -> id);
        })
        .build();
  }

  @Override
  public EventHandler<State, ProducerIdAllocated> eventHandler() {
    return (state, event) -> new State(event.producerId());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // The state is one number: a snapshot every 100 ids keeps recovery short and the journal small.
    return RetentionCriteria.snapshotEvery(100, 2);
  }
}
