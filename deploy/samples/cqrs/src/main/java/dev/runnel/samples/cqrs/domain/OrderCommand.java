package dev.runnel.samples.cqrs.domain;

/** What a client may ask of an order; valid on its own by construction (the state decides the rest). */
public sealed interface OrderCommand {

  record PlaceOrder(String userId) implements OrderCommand {
    public PlaceOrder {
      Fields.requireText(userId, "user_id");
    }
  }

  record AddItem(String sku, int quantity, long unitPriceCents) implements OrderCommand {
    public AddItem {
      Fields.requireText(sku, "sku");
      Fields.requirePositive(quantity, "quantity");
      Fields.requirePositive(unitPriceCents, "unit_price_cents");
    }
  }

  enum ShipOrder implements OrderCommand { INSTANCE }
}
