package dev.runnel.broker.topic;

import dev.runnel.broker.CborSerializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The persisted registry of topics, run as a cluster singleton: the one place that decides creations, deletions
 * and partition additions, so two nodes never create the same topic twice. Every change is published to
 * {@code publish} (the node-local views, through Distributed Data), so metadata reads never come here.
 */
public final class TopicRegistry
    extends EventSourcedBehavior<TopicRegistry.Command, TopicRegistry.Event, TopicRegistry.State> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("topic-registry");

  /** Crosses nodes to the singleton: Jackson CBOR. */
  public sealed interface Command extends CborSerializable {}

  public record CreateTopic(String name, int partitions, Map<String, String> configs, ActorRef<Reply> replyTo)
      implements Command {}

  public record DeleteTopic(String name, ActorRef<Reply> replyTo) implements Command {}

  public record CreatePartitions(String name, int totalCount, ActorRef<Reply> replyTo) implements Command {}

  public record AlterConfigs(String name, Map<String, String> configs, ActorRef<Reply> replyTo) implements Command {}

  /** The topic, or {@code UNKNOWN_TOPIC_OR_PARTITION}. */
  public record GetTopic(String name, ActorRef<Reply> replyTo) implements Command {}

  /** The topic as it now is, or the Kafka error that refused the change (or the lookup). */
  public record Reply(TopicMetadata topic, Errors error, String message) implements CborSerializable {
    static Reply ok(TopicMetadata topic) {
      return new Reply(topic, Errors.NONE, null);
    }

    static Reply refused(ApiException e) {
      return new Reply(null, Errors.forException(e), e.getMessage());
    }
  }

  public sealed interface Event {}

  public record TopicCreated(TopicMetadata topic) implements Event {}

  public record TopicDeleted(String name) implements Event {}

  public record PartitionsCreated(String name, int totalCount) implements Event {}

  public record ConfigsAltered(String name, Map<String, String> configs) implements Event {}

  /** Every topic by name. Immutable. */
  public record State(Map<String, TopicMetadata> topics) {
    public State {
      topics = Map.copyOf(topics);
    }

    State apply(Event event) {
      Map<String, TopicMetadata> next = new HashMap<>(topics);
      if (event instanceof TopicCreated created) {
        next.put(created.topic().name(), created.topic());
      } else if (event instanceof TopicDeleted deleted) {
        next.remove(deleted.name());
      } else if (event instanceof PartitionsCreated added) {
        next.computeIfPresent(added.name(), (k, t) -> t.withPartitions(added.totalCount()));
      } else if (event instanceof ConfigsAltered altered) {
        next.computeIfPresent(altered.name(), (k, t) -> t.withConfigs(altered.configs()));
      } else {
        throw new IllegalStateException("unknown topic registry event " + event);
      }
      return new State(next);
    }
  }

  /** What the registry tells the rest of the node about a change. */
  public interface Listener {
    void topicChanged(TopicMetadata topic);

    void topicDeleted(TopicMetadata topic);

    void recovered(Map<String, TopicMetadata> topics);
  }

  private final int maxPartitions;
  private final Listener listener;

  public static Behavior<Command> create(int maxPartitions, Listener listener) {
    return Behaviors.setup(context -> new TopicRegistry(maxPartitions, listener));
  }

  private TopicRegistry(int maxPartitions, Listener listener) {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.maxPartitions = maxPartitions;
    this.listener = listener;
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return State::apply;
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> listener.recovered(state.topics()))
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(CreateTopic.class, this::onCreate)
        .onCommand(DeleteTopic.class, this::onDelete)
        .onCommand(CreatePartitions.class, this::onCreatePartitions)
        .onCommand(AlterConfigs.class, this::onAlterConfigs)
        .onCommand(GetTopic.class, (state, get) -> {
          TopicMetadata topic = state.topics().get(get.name());
          get.replyTo().tell(topic != null ? Reply.ok(topic) : Reply.refused(unknown(get.name())));
          return Effect().none();
        })
        .build();
  }

  private Effect<Event, State> onCreate(State state, CreateTopic create) {
    try {
      TopicName.validate(create.name());
      if (state.topics().containsKey(create.name())) {
        throw new TopicExistsException("Topic '" + create.name() + "' already exists.");
      }
      checkPartitionCount(create.partitions());
      TopicConfig.validate(create.configs());
    } catch (ApiException e) {
      create.replyTo().tell(Reply.refused(e));
      return Effect().none();
    }
    TopicMetadata topic =
        new TopicMetadata(create.name(), Uuid.randomUuid().toString(), create.partitions(), create.configs());
    return persistThenReply(new TopicCreated(topic), create.replyTo(), create.name(), listener::topicChanged);
  }

  private Effect<Event, State> onDelete(State state, DeleteTopic delete) {
    TopicMetadata topic = state.topics().get(delete.name());
    if (topic == null) {
      delete.replyTo().tell(Reply.refused(unknown(delete.name())));
      return Effect().none();
    }
    return Effect().persist(new TopicDeleted(delete.name())).thenRun(newState -> {
      listener.topicDeleted(topic);
      delete.replyTo().tell(Reply.ok(topic));
    });
  }

  private Effect<Event, State> onCreatePartitions(State state, CreatePartitions create) {
    TopicMetadata topic = state.topics().get(create.name());
    try {
      if (topic == null) {
        throw unknown(create.name());
      }
      if (create.totalCount() <= topic.partitions()) {
        throw new InvalidPartitionsException("Topic " + create.name() + " has " + topic.partitions()
            + " partitions; the new count must be larger, not " + create.totalCount());
      }
      checkPartitionCount(create.totalCount());
    } catch (ApiException e) {
      create.replyTo().tell(Reply.refused(e));
      return Effect().none();
    }
    return persistThenReply(new PartitionsCreated(create.name(), create.totalCount()), create.replyTo(),
        create.name(), listener::topicChanged);
  }

  private Effect<Event, State> onAlterConfigs(State state, AlterConfigs alter) {
    try {
      if (!state.topics().containsKey(alter.name())) {
        throw unknown(alter.name());
      }
      TopicConfig.validate(alter.configs());
    } catch (ApiException e) {
      alter.replyTo().tell(Reply.refused(e));
      return Effect().none();
    }
    return persistThenReply(new ConfigsAltered(alter.name(), alter.configs()), alter.replyTo(), alter.name(),
        listener::topicChanged);
  }

  private Effect<Event, State> persistThenReply(
      Event event, ActorRef<Reply> replyTo, String name, Consumer<TopicMetadata> publish) {
    return Effect().persist(event).thenRun(newState -> {
      TopicMetadata topic = newState.topics().get(name);
      publish.accept(topic);
      replyTo.tell(Reply.ok(topic));
    });
  }

  private void checkPartitionCount(int partitions) {
    if (partitions < 1) {
      throw new InvalidPartitionsException("Number of partitions must be larger than 0, not " + partitions);
    }
    if (partitions > maxPartitions) {
      throw new InvalidPartitionsException(
          "Number of partitions " + partitions + " is over the broker's limit of " + maxPartitions);
    }
  }

  private static UnknownTopicOrPartitionException unknown(String name) {
    return new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.");
  }
}
