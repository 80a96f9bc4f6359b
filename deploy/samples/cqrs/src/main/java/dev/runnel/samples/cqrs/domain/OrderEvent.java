package dev.runnel.samples.cqrs.domain;

/** The facts of an order's stream ({@code order-<id>}); each record's simple name is its envelope's event_type. */
public sealed interface OrderEvent {

  record OrderPlaced(String userId) implements OrderEvent {}

  /** @param unitPriceCents the price of one, in cents (integers: money is never a double) */
  record ItemAdded(String sku, int quantity, long unitPriceCents) implements OrderEvent {}

  record OrderShipped() implements OrderEvent {}
}
