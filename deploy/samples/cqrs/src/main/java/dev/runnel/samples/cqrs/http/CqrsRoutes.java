package dev.runnel.samples.cqrs.http;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.parameter;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.samples.cqrs.BrokerAdmin;
import dev.runnel.samples.cqrs.command.CommandHandler;
import dev.runnel.samples.cqrs.command.CommandOutcome;
import dev.runnel.samples.cqrs.domain.OrderCommand;
import dev.runnel.samples.cqrs.domain.OrderEvent;
import dev.runnel.samples.cqrs.domain.OrderState;
import dev.runnel.samples.cqrs.domain.Orders;
import dev.runnel.samples.cqrs.domain.UserCommand;
import dev.runnel.samples.cqrs.domain.UserEvent;
import dev.runnel.samples.cqrs.domain.UserState;
import dev.runnel.samples.cqrs.domain.Users;
import dev.runnel.samples.cqrs.view.CatchUp;
import dev.runnel.samples.cqrs.view.Database;
import dev.runnel.samples.cqrs.view.OrderView;
import dev.runnel.samples.cqrs.view.ReadModelStore;
import dev.runnel.samples.cqrs.view.ReadModels;
import dev.runnel.samples.cqrs.view.UserView;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.projection.ProjectionId;

/**
 * The sample's HTTP API: commands on users and orders (write side), queries of the two views (read side), and the
 * rebuild of the views with its progress (admin). A command's answer says the stream's new version; the views
 * follow a moment later (eventual consistency), their rows carry the version they reflect.
 */
public final class CqrsRoutes {

  private final ActorSystem<?> system;
  private final CommandHandler<UserState, UserCommand, UserEvent> users;
  private final CommandHandler<OrderState, OrderCommand, OrderEvent> orders;
  private final Database database;
  private final OrderView orderView;
  private final ReadModelStore store;
  private final ActorRef<ReadModels.Command> readModels;
  private final BrokerAdmin broker;
  private final String topic;
  private final Duration askTimeout;
  private final ObjectMapper json;
  private final Responses responses;

  public CqrsRoutes(ActorSystem<?> system, CommandHandler<UserState, UserCommand, UserEvent> users,
      CommandHandler<OrderState, OrderCommand, OrderEvent> orders, Database database, OrderView orderView,
      ReadModelStore store, ActorRef<ReadModels.Command> readModels, BrokerAdmin broker, String topic,
      Duration askTimeout, ObjectMapper json) {
    this.system = system;
    this.users = users;
    this.orders = orders;
    this.database = database;
    this.orderView = orderView;
    this.store = store;
    this.readModels = readModels;
    this.broker = broker;
    this.topic = topic;
    this.askTimeout = askTimeout;
    this.json = json;
    this.responses = new Responses(json);
  }

  public Route route() {
    return handleExceptions(responses.exceptions(), () -> handleRejections(responses.rejections(), () -> concat(
        pathPrefix("users", this::usersRoute),
        pathPrefix("orders", this::ordersRoute),
        pathPrefix("admin", this::adminRoute))));
  }

  private Route usersRoute() {
    return concat(
        pathEndOrSingleSlash(() -> post(() -> entity(Jackson.unmarshaller(json, Requests.RegisterUser.class),
            body -> {
              String userId = body.userId() == null ? UUID.randomUUID().toString() : body.userId();
              return command(users.handle(Users.streamId(Responses.requireId(userId, "user_id")),
                  new UserCommand.RegisterUser(body.name(), body.email())), StatusCodes.CREATED, "user_id", userId);
            }))),
        pathPrefix(PathMatchers.segment(), userId -> concat(
            pathEndOrSingleSlash(() -> get(() -> completeWithFuture(
                database.transaction(connection -> UserView.find(connection, Responses.requireId(userId, "user id")))
                    .thenApply(user -> user.map(row -> responses.json(StatusCodes.OK, row))
                        .orElseGet(() -> responses.error(StatusCodes.NOT_FOUND, Users.USER_NOT_FOUND,
                            "no user " + userId + " in the view (yet)")))))),
            path("email", () -> put(() -> entity(Jackson.unmarshaller(json, Requests.ChangeEmail.class),
                body -> command(users.handle(Users.streamId(Responses.requireId(userId, "user id")),
                    new UserCommand.ChangeEmail(body.email())), StatusCodes.OK, "user_id", userId)))))));
  }

  private Route ordersRoute() {
    return concat(
        pathEndOrSingleSlash(() -> concat(
            post(() -> entity(Jackson.unmarshaller(json, Requests.PlaceOrder.class), body -> {
              String orderId = body.orderId() == null ? UUID.randomUUID().toString() : body.orderId();
              return command(orders.handle(Orders.streamId(Responses.requireId(orderId, "order_id")),
                  new OrderCommand.PlaceOrder(body.userId())), StatusCodes.CREATED, "order_id", orderId);
            })),
            get(() -> parameter("user", userId -> completeWithFuture(
                database.transaction(connection -> orderView.byUser(connection, userId))
                    .thenApply(rows -> responses.json(StatusCodes.OK, Map.of("orders", rows)))))))),
        pathPrefix(PathMatchers.segment(), orderId -> concat(
            pathEndOrSingleSlash(() -> get(() -> completeWithFuture(
                database.transaction(connection -> orderView.find(connection,
                        Responses.requireId(orderId, "order id")))
                    .thenApply(order -> order.map(row -> responses.json(StatusCodes.OK, row))
                        .orElseGet(() -> responses.error(StatusCodes.NOT_FOUND, Orders.ORDER_NOT_FOUND,
                            "no order " + orderId + " in the view (yet)")))))),
            path("items", () -> post(() -> entity(Jackson.unmarshaller(json, Requests.AddItem.class),
                body -> command(orders.handle(Orders.streamId(Responses.requireId(orderId, "order id")),
                    new OrderCommand.AddItem(body.sku(), body.quantity(), body.unitPriceCents())),
                    StatusCodes.OK, "order_id", orderId)))),
            path("ship", () -> post(() -> command(
                orders.handle(Orders.streamId(Responses.requireId(orderId, "order id")),
                    OrderCommand.ShipOrder.INSTANCE), StatusCodes.OK, "order_id", orderId))))));
  }

  private Route adminRoute() {
    return concat(
        path("rebuild", () -> post(() -> completeWithFuture(
            AskPattern.<ReadModels.Command, ReadModels.RebuildResult>ask(readModels, ReadModels.Rebuild::new,
                askTimeout, system.scheduler()).thenApply(this::rebuilt)))),
        path("status", () -> get(() -> completeWithFuture(
            status().thenApply(status -> responses.json(StatusCodes.OK, status))))));
  }

  private HttpResponse rebuilt(ReadModels.RebuildResult result) {
    if (result instanceof ReadModels.Rebuilt rebuilt) {
      return responses.json(StatusCodes.ACCEPTED, Map.of("rebuild", rebuilt.rebuild(), "status", "/admin/status"));
    }
    if (result instanceof ReadModels.AlreadyRebuilding) {
      return responses.error(StatusCodes.CONFLICT, ErrorBody.REBUILD_IN_PROGRESS,
          "a rebuild is running: follow it on GET /admin/status");
    }
    return responses.error(StatusCodes.INTERNAL_SERVER_ERROR, "REBUILD_FAILED",
        ((ReadModels.RebuildFailed) result).message());
  }

  /**
   * The phase first, then the log ends, then the stored offsets: a projection counted as caught up has handled
   * at least what the topic held when its status was asked.
   */
  private CompletionStage<AdminStatus> status() {
    CompletionStage<ReadModels.Phase> phase = AskPattern.ask(readModels, ReadModels.GetPhase::new, askTimeout,
        system.scheduler());
    return phase.thenCompose(current -> broker.logEnd(topic).thenCompose(logEnd -> {
      Map<String, AdminStatus.Progress> progress = new LinkedHashMap<>();
      CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
      for (ProjectionId id : List.of(UserView.ID, OrderView.ID)) {
        all = all.thenCompose(ignored -> store.storedOffsets(id, topic).thenAccept(handled -> progress.put(id.name(),
            new AdminStatus.Progress(CatchUp.caughtUp(logEnd, handled), CatchUp.lag(logEnd, handled), handled))));
      }
      return all.thenApply(ignored -> new AdminStatus(
          !current.rebuilding() && progress.values().stream().allMatch(AdminStatus.Progress::caughtUp),
          current.rebuilding(), current.rebuilds(), logEnd, progress));
    }));
  }

  private Route command(CompletionStage<CommandOutcome> outcome,
      StatusCode created, String idField, String id) {
    return completeWithFuture(outcome.thenApply(result -> responses.outcome(result, created, Map.of(idField, id))));
  }
}
