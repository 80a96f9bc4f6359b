package dev.runnel.samples.cqrs.view;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.projection.Projection;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;

/**
 * Runs the read models' projections and rebuilds them: on {@link Rebuild} it stops every projection, waits until
 * all have stopped (so none writes a row or an offset any more), has the views and offsets emptied, and starts the
 * projections again, which then replay the topic from offset 0. One rebuild at a time; its phases are the
 * behaviors {@code running}, {@code stopping} and {@code resetting}.
 */
public final class ReadModels {

  public sealed interface Command {}

  /** Rebuild every read model; answered once the views are empty and the projections run again. */
  public record Rebuild(ActorRef<RebuildResult> replyTo) implements Command {}

  public record GetPhase(ActorRef<Phase> replyTo) implements Command {}

  /**
   * Stop every projection and then this actor, answered once they have stopped, so the app's shutdown closes their
   * connections instead of cutting them. During a rebuild it is answered at once.
   */
  public record Stop(ActorRef<Done> replyTo) implements Command {}

  private record Stopped(ProjectionId id) implements Command {}

  private record ResetDone(Throwable failure) implements Command {}

  public sealed interface RebuildResult {}

  /** The views were emptied and the projections replay from offset 0: rebuild number {@code rebuild}. */
  public record Rebuilt(int rebuild) implements RebuildResult {}

  public record AlreadyRebuilding() implements RebuildResult {}

  /** The views could not be emptied; the projections go on from where they were. */
  public record RebuildFailed(String message) implements RebuildResult {}

  /** @param rebuilds rebuilds done since the app started */
  public record Phase(boolean rebuilding, int rebuilds) {}

  /** A projection to run: a new instance per start, since a source provider holds its run's assignment. */
  public record Definition(ProjectionId id, Supplier<Projection<?>> projection) {}

  private final ActorContext<Command> context;
  private final List<Definition> definitions;
  private final Supplier<CompletionStage<Done>> reset;
  /** Numbers each projection actor started: a stopped one's name may not be free again at once. */
  private int generation;

  private ReadModels(ActorContext<Command> context, List<Definition> definitions,
      Supplier<CompletionStage<Done>> reset) {
    this.context = context;
    this.definitions = List.copyOf(definitions);
    this.reset = reset;
  }

  /** @param reset empties the views and the projections' offsets (called only while every projection is stopped) */
  public static Behavior<Command> create(List<Definition> definitions, Supplier<CompletionStage<Done>> reset) {
    return Behaviors.setup(context -> {
      ReadModels readModels = new ReadModels(context, definitions, reset);
      return readModels.running(readModels.startAll(), 0);
    });
  }

  private Map<ProjectionId, ActorRef<ProjectionBehavior.Command>> startAll() {
    Map<ProjectionId, ActorRef<ProjectionBehavior.Command>> running = new HashMap<>();
    for (Definition definition : definitions) {
      running.put(definition.id(), start(definition));
    }
    return running;
  }

  private ActorRef<ProjectionBehavior.Command> start(Definition definition) {
    ActorRef<ProjectionBehavior.Command> projection = context.spawn(
        ProjectionBehavior.create(definition.projection().get()), definition.id().name() + "-" + generation++);
    context.watchWith(projection, new Stopped(definition.id()));
    return projection;
  }

  private Behavior<Command> running(Map<ProjectionId, ActorRef<ProjectionBehavior.Command>> projections,
      int rebuilds) {
    return Behaviors.receive(Command.class)
        .onMessage(Rebuild.class, rebuild -> {
          context.getLog().info("rebuild {}: stopping the projections {}", rebuilds + 1, projections.keySet());
          projections.values().forEach(projection -> projection.tell(ProjectionBehavior.stopMessage()));
          return stopping(new HashSet<>(projections.keySet()), rebuild.replyTo(), rebuilds);
        })
        .onMessage(GetPhase.class, get -> {
          get.replyTo().tell(new Phase(false, rebuilds));
          return Behaviors.same();
        })
        .onMessage(Stopped.class, stopped -> {
          // A projection restarts its own stream after failures (restart backoff); its actor ending is unexpected.
          context.getLog().warn("projection {} stopped by itself; starting it again", stopped.id());
          Map<ProjectionId, ActorRef<ProjectionBehavior.Command>> restarted = new HashMap<>(projections);
          definitions.stream().filter(definition -> definition.id().equals(stopped.id())).findFirst()
              .ifPresent(definition -> restarted.put(definition.id(), start(definition)));
          return running(restarted, rebuilds);
        })
        .onMessage(Stop.class, stop -> {
          projections.values().forEach(projection -> projection.tell(ProjectionBehavior.stopMessage()));
          return stoppingForGood(new HashSet<>(projections.keySet()), stop.replyTo(), rebuilds);
        })
        .build();
  }

  private Behavior<Command> stoppingForGood(Set<ProjectionId> remaining, ActorRef<Done> replyTo, int rebuilds) {
    return Behaviors.receive(Command.class)
        .onMessage(Stopped.class, stopped -> {
          remaining.remove(stopped.id());
          if (!remaining.isEmpty()) {
            return Behaviors.same();
          }
          replyTo.tell(Done.getInstance());
          return Behaviors.stopped();
        })
        .onMessage(Rebuild.class, rebuild -> {
          rebuild.replyTo().tell(new RebuildFailed("the app is stopping"));
          return Behaviors.same();
        })
        .onMessage(GetPhase.class, get -> rebuilding(get, rebuilds))
        .onMessage(Stop.class, ReadModels::stopped)
        .build();
  }

  private Behavior<Command> stopping(Set<ProjectionId> remaining, ActorRef<RebuildResult> replyTo, int rebuilds) {
    return Behaviors.receive(Command.class)
        .onMessage(Stopped.class, stopped -> {
          remaining.remove(stopped.id());
          if (!remaining.isEmpty()) {
            return Behaviors.same();
          }
          context.pipeToSelf(reset.get(), (done, failure) -> new ResetDone(failure));
          return resetting(replyTo, rebuilds);
        })
        .onMessage(Rebuild.class, rebuild -> alreadyRebuilding(rebuild))
        .onMessage(GetPhase.class, get -> rebuilding(get, rebuilds))
        .onMessage(Stop.class, ReadModels::stopped)
        .build();
  }

  private Behavior<Command> resetting(ActorRef<RebuildResult> replyTo, int rebuilds) {
    return Behaviors.receive(Command.class)
        .onMessage(ResetDone.class, done -> {
          if (done.failure() != null) {
            context.getLog().error("rebuild {}: the views could not be emptied", rebuilds + 1, done.failure());
            replyTo.tell(new RebuildFailed(String.valueOf(done.failure().getMessage())));
            return running(startAll(), rebuilds);
          }
          context.getLog().info("rebuild {}: views emptied, projections replay from offset 0", rebuilds + 1);
          Map<ProjectionId, ActorRef<ProjectionBehavior.Command>> projections = startAll();
          replyTo.tell(new Rebuilt(rebuilds + 1));
          return running(projections, rebuilds + 1);
        })
        .onMessage(Rebuild.class, rebuild -> alreadyRebuilding(rebuild))
        .onMessage(GetPhase.class, get -> rebuilding(get, rebuilds))
        .onMessage(Stop.class, ReadModels::stopped)
        .build();
  }

  private static Behavior<Command> alreadyRebuilding(Rebuild rebuild) {
    rebuild.replyTo().tell(new AlreadyRebuilding());
    return Behaviors.same();
  }

  private static Behavior<Command> stopped(Stop stop) {
    stop.replyTo().tell(Done.getInstance());
    return Behaviors.same();
  }

  private static Behavior<Command> rebuilding(GetPhase get, int rebuilds) {
    get.replyTo().tell(new Phase(true, rebuilds));
    return Behaviors.same();
  }
}
