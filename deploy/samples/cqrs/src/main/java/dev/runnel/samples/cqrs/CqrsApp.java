package dev.runnel.samples.cqrs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.EventStore;
import dev.runnel.client.EventStoreSettings;
import dev.runnel.client.projection.RunnelSourceProvider;
import dev.runnel.samples.cqrs.command.CommandHandler;
import dev.runnel.samples.cqrs.command.EventCodec;
import dev.runnel.samples.cqrs.domain.OrderEvent;
import dev.runnel.samples.cqrs.domain.Orders;
import dev.runnel.samples.cqrs.domain.UserEvent;
import dev.runnel.samples.cqrs.domain.Users;
import dev.runnel.samples.cqrs.http.CqrsRoutes;
import dev.runnel.samples.cqrs.view.Database;
import dev.runnel.samples.cqrs.view.OrderView;
import dev.runnel.samples.cqrs.view.ReadModelStore;
import dev.runnel.samples.cqrs.view.ReadModels;
import dev.runnel.samples.cqrs.view.UserView;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.projection.Projection;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event sourcing / CQRS sample: wires the EventStore (write side), the two read models' projections and the
 * HTTP API, in that order of need. At start it creates the topic with its partitions before any projection's
 * consumer group forms, then the database tables, then starts the projections and binds the API.
 */
public final class CqrsApp implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CqrsApp.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem<Void> system;
  private final EventStore store;
  private final Database database;
  private final ActorRef<ReadModels.Command> readModels;
  private final ServerBinding binding;

  private CqrsApp(ActorSystem<Void> system, EventStore store, Database database,
      ActorRef<ReadModels.Command> readModels, ServerBinding binding) {
    this.system = system;
    this.store = store;
    this.database = database;
    this.readModels = readModels;
    this.binding = binding;
  }

  public static void main(String[] args) throws Exception {
    CqrsApp app = start(ConfigFactory.load());
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "cqrs-shutdown"));
    InetSocketAddress address = app.address();
    System.out.printf("CQRS sample ready: http://%s:%d (broker %s)%n", address.getHostString(), address.getPort(),
        app.system.settings().config().getString("runnel.client.bootstrap"));
  }

  /** Starts the sample on {@code config} (a loaded configuration: application settings over reference.conf). */
  public static CqrsApp start(Config config) throws Exception {
    CqrsSettings settings = CqrsSettings.create(config);
    // The sample's own needs, above what other libraries' reference.conf files set: a local actor system (no
    // cluster), and pekko-projection-jdbc told the database's dialect and given one thread per pooled connection.
    Config full = ConfigFactory.parseMap(Map.of(
        "pekko.actor.provider", "local",
        "pekko.projection.jdbc.dialect", settings.projectionDialect(),
        "pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size", settings.poolSize()))
        .withFallback(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "cqrs", full);
    try {
      return start(system, settings);
    } catch (Exception | Error e) {
      system.terminate();
      throw e;
    }
  }

  private static CqrsApp start(ActorSystem<Void> system, CqrsSettings settings) throws Exception {
    ObjectMapper json = Json.mapper();
    EventStoreSettings storeSettings = EventStoreSettings.create(system).withTopic(settings.topic());
    EventStore store = EventStore.create(system, storeSettings);
    BrokerAdmin broker = new BrokerAdmin(system, storeSettings.bootstrap(), settings.brokerRequestTimeout(), json);
    int partitions = await(broker.ensureTopic(settings.topic(), settings.partitions()));
    log.info("topic {} has {} partitions (the event store sees {})", settings.topic(), partitions,
        await(store.partitionCount()));

    Database database = Database.open(settings, system.dispatchers()
        .lookup(DispatcherSelector.fromConfig("pekko.projection.jdbc.blocking-jdbc-dispatcher")));
    ReadModelStore readModelStore = new ReadModelStore(database, system.settings().config());
    await(readModelStore.createIfNotExists(system));

    EventCodec<UserEvent> userEvents = EventCodec.of(UserEvent.class, json);
    EventCodec<OrderEvent> orderEvents = EventCodec.of(OrderEvent.class, json);
    OrderView orderView = new OrderView(orderEvents, json);
    ActorRef<ReadModels.Command> readModels = system.systemActorOf(ReadModels.create(
            projections(system, settings, database, new UserView(userEvents), orderView),
            () -> readModelStore.reset(List.of(UserView.ID, OrderView.ID))),
        "read-models", Props.empty());

    CqrsRoutes routes = new CqrsRoutes(system,
        new CommandHandler<>(store, system, new Users(), userEvents, settings.maxAttempts()),
        new CommandHandler<>(store, system, new Orders(), orderEvents, settings.maxAttempts()),
        database, orderView, readModelStore, readModels, broker, settings.topic(), START_TIMEOUT, json);
    ServerBinding binding = await(Http.get(system).newServerAt(settings.httpHost(), settings.httpPort())
        .bind(routes.route()));
    return new CqrsApp(system, store, database, readModels, binding);
  }

  /**
   * UserView exactly once, OrderView at least once, both over the whole topic from offset 0 when their offset store
   * holds nothing, each in a consumer group of its own (instances sharing a group split the partitions).
   */
  private static List<ReadModels.Definition> projections(ActorSystem<?> system, CqrsSettings settings,
      Database database, UserView userView, OrderView orderView) {
    ConsumerSettings consumer = ConsumerSettings.create(system)
        .withAutoOffsetReset(ConsumerSettings.AutoOffsetReset.EARLIEST);
    Set<String> topics = Set.of(settings.topic());
    return List.of(
        new ReadModels.Definition(UserView.ID, () -> (Projection<?>) JdbcProjection.exactlyOnce(UserView.ID,
                RunnelSourceProvider.create(consumer, "cqrs-" + UserView.ID.name(), topics), database.sessions(),
                userView::handler, system)
            .withRestartBackoff(settings.restartMinBackoff(), settings.restartMaxBackoff(), 0.2)),
        new ReadModels.Definition(OrderView.ID, () -> (Projection<?>) JdbcProjection.atLeastOnce(OrderView.ID,
                RunnelSourceProvider.create(consumer, "cqrs-" + OrderView.ID.name(), topics), database.sessions(),
                orderView::handler, system)
            .withSaveOffset(settings.saveOffsetAfterEnvelopes(), settings.saveOffsetAfter())
            .withRestartBackoff(settings.restartMinBackoff(), settings.restartMaxBackoff(), 0.2)));
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  public InetSocketAddress address() {
    return binding.localAddress();
  }

  @Override
  public void close() {
    try {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("the HTTP server did not unbind cleanly", e);
    }
    try {
      AskPattern.<ReadModels.Command, Done>ask(readModels, ReadModels.Stop::new, Duration.ofSeconds(10),
          system.scheduler()).toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("the projections did not stop in time", e);
    }
    store.close();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("the actor system did not stop in time", e);
    }
    database.close();
  }
}
