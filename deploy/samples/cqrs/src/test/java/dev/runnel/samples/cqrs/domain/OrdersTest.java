package dev.runnel.samples.cqrs.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.runnel.samples.cqrs.domain.OrderCommand.AddItem;
import dev.runnel.samples.cqrs.domain.OrderCommand.PlaceOrder;
import dev.runnel.samples.cqrs.domain.OrderCommand.ShipOrder;
import dev.runnel.samples.cqrs.domain.OrderEvent.ItemAdded;
import dev.runnel.samples.cqrs.domain.OrderEvent.OrderPlaced;
import dev.runnel.samples.cqrs.domain.OrderEvent.OrderShipped;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class OrdersTest {

  private final Orders orders = new Orders();
  private final OrderState placed = orders.evolve(orders.initial(), new OrderPlaced("u-1"));
  private final OrderState withBook = orders.evolve(placed, new ItemAdded("book", 2, 1500));

  private String rejection(OrderState state, OrderCommand command) {
    return ((Decision.Reject<OrderEvent>) orders.decide(state, command)).error();
  }

  @Test
  void when_aNewOrderIsPlaced_then_OrderPlacedIsDecided() {
    assertEquals(Decision.accept(new OrderPlaced("u-1")), orders.decide(orders.initial(), new PlaceOrder("u-1")));
  }

  @Test
  void when_anOrderIsPlacedTwice_then_itIsRejected() {
    assertEquals(Orders.ORDER_ALREADY_PLACED, rejection(placed, new PlaceOrder("u-1")));
  }

  @Test
  void when_itemsAreAddedToAnOpenOrder_then_theStateListsThemInOrder() {
    OrderState state = orders.evolve(withBook, new ItemAdded("pen", 1, 200));

    assertEquals(new OrderState.Open("u-1", List.of(new OrderState.Item("book", 2, 1500),
        new OrderState.Item("pen", 1, 200))), state);
  }

  @Test
  void when_anOrderWithItemsShips_then_OrderShippedIsDecided_andNothingMayChangeAfter() {
    assertEquals(Decision.accept(new OrderShipped()), orders.decide(withBook, ShipOrder.INSTANCE));
    OrderState shipped = orders.evolve(withBook, new OrderShipped());

    assertEquals(Orders.ORDER_ALREADY_SHIPPED, rejection(shipped, new AddItem("pen", 1, 200)));
    assertEquals(Orders.ORDER_ALREADY_SHIPPED, rejection(shipped, ShipOrder.INSTANCE));
  }

  @Test
  void when_anEmptyOrderShips_then_itIsRejected() {
    assertEquals(Orders.ORDER_EMPTY, rejection(placed, ShipOrder.INSTANCE));
  }

  @Test
  void when_anUnknownOrderIsChanged_then_itIsRejectedAsNotFound() {
    assertEquals(Orders.ORDER_NOT_FOUND, rejection(orders.initial(), new AddItem("pen", 1, 200)));
    assertEquals(Orders.ORDER_NOT_FOUND, rejection(orders.initial(), ShipOrder.INSTANCE));
  }

  @Test
  void when_anItemsFieldsAreInvalid_then_itCannotBeMade() {
    assertThrows(IllegalArgumentException.class, () -> new AddItem("pen", 0, 200));
    assertThrows(IllegalArgumentException.class, () -> new AddItem("pen", 1, -5));
    assertThrows(IllegalArgumentException.class, () -> new AddItem("", 1, 200));
  }
}
