package dev.runnel.broker.kafka;

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
 * Hands out Kafka producer ids for idempotent producers (InitProducerId), a cluster singleton that persists every
 * id it gives before giving it, so an id is never handed out twice, across restarts and singleton moves: partitions
 * keep sequence state per producer id, and a reused id would make a new producer's batches look like duplicates.
 * A producer asks once per life, so one journal write per id costs nothing that matters.
 */
public final class ProducerIdManager
    extends EventSourcedBehavior<ProducerIdManager.Command, ProducerIdManager.ProducerIdAllocated,
        ProducerIdManager.State> {

  public sealed interface Command {}

  /** Allocates the next producer id and replies with it. */
  public record AllocateProducerId(ActorRef<Long> replyTo) implements Command {}

  /** The event: this id is handed out, never to be handed out again. */
  public record ProducerIdAllocated(long producerId) {}

  /** The last id handed out; -1 before the first. */
  public record State(long lastProducerId) {}

  static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("kafka-producer-ids");

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
