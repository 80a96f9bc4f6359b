package dev.runnel.samples.cqrs.domain;

import dev.runnel.samples.cqrs.domain.OrderCommand.AddItem;
import dev.runnel.samples.cqrs.domain.OrderCommand.PlaceOrder;
import dev.runnel.samples.cqrs.domain.OrderCommand.ShipOrder;
import dev.runnel.samples.cqrs.domain.OrderEvent.ItemAdded;
import dev.runnel.samples.cqrs.domain.OrderEvent.OrderPlaced;
import dev.runnel.samples.cqrs.domain.OrderEvent.OrderShipped;
import dev.runnel.samples.cqrs.domain.OrderState.Item;
import dev.runnel.samples.cqrs.domain.OrderState.None;
import dev.runnel.samples.cqrs.domain.OrderState.Open;
import dev.runnel.samples.cqrs.domain.OrderState.Shipped;
import java.util.List;

/**
 * The rules of an order's stream: placed once for a user, items added while it is open, shipped once it has at
 * least one item, and nothing after. The user is not checked here: a decision sees its own stream only (a stream is
 * the consistency boundary), so an order may name a user the views do not know yet. Pure; thread-safe.
 */
public final class Orders implements Decider<OrderState, OrderCommand, OrderEvent> {

  /** Every stream of this kind is named so, then the order id. */
  public static final String STREAM_PREFIX = "order-";

  public static final String ORDER_NOT_FOUND = "ORDER_NOT_FOUND";
  public static final String ORDER_ALREADY_PLACED = "ORDER_ALREADY_PLACED";
  public static final String ORDER_ALREADY_SHIPPED = "ORDER_ALREADY_SHIPPED";
  public static final String ORDER_EMPTY = "ORDER_EMPTY";

  /** The stream that holds order {@code orderId}'s events. */
  public static String streamId(String orderId) {
    return STREAM_PREFIX + orderId;
  }

  /** The order id of a stream of this kind, or null for a stream of another kind (or a record without a stream). */
  public static String orderId(String streamId) {
    return streamId != null && streamId.startsWith(STREAM_PREFIX) ? streamId.substring(STREAM_PREFIX.length()) : null;
  }

  @Override
  public OrderState initial() {
    return None.INSTANCE;
  }

  @Override
  public OrderState evolve(OrderState state, OrderEvent event) {
    if (event instanceof OrderPlaced placed && state == None.INSTANCE) {
      return new Open(placed.userId(), List.of());
    }
    if (event instanceof ItemAdded added && state instanceof Open open) {
      return open.with(new Item(added.sku(), added.quantity(), added.unitPriceCents()));
    }
    if (event instanceof OrderShipped && state instanceof Open open) {
      return new Shipped(open.userId(), open.items());
    }
    throw new IllegalStateException("an order stream cannot hold " + event + " in state " + state);
  }

  @Override
  public Decision<OrderEvent> decide(OrderState state, OrderCommand command) {
    if (command instanceof PlaceOrder place) {
      return state == None.INSTANCE
          ? Decision.accept(new OrderPlaced(place.userId()))
          : Decision.reject(ORDER_ALREADY_PLACED, "the order was already placed");
    }
    if (state == None.INSTANCE) {
      return Decision.reject(ORDER_NOT_FOUND, "no such order");
    }
    if (state instanceof Shipped) {
      return Decision.reject(ORDER_ALREADY_SHIPPED, "the order has been shipped: it cannot change any more");
    }
    Open open = (Open) state;
    if (command instanceof AddItem add) {
      return Decision.accept(new ItemAdded(add.sku(), add.quantity(), add.unitPriceCents()));
    }
    if (command == ShipOrder.INSTANCE) {
      return open.items().isEmpty()
          ? Decision.reject(ORDER_EMPTY, "an order without items cannot be shipped")
          : Decision.accept(new OrderShipped());
    }
    throw new IllegalArgumentException("unknown order command " + command);
  }
}
