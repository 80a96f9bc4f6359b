package dev.runnel.samples.cqrs.domain;

import java.util.ArrayList;
import java.util.List;

/** An order's state, one type per phase of its life: none yet, open for items, shipped (final). */
public sealed interface OrderState {

  record Item(String sku, int quantity, long unitPriceCents) {}

  enum None implements OrderState { INSTANCE }

  record Open(String userId, List<Item> items) implements OrderState {
    public Open {
      items = List.copyOf(items);
    }

    Open with(Item item) {
      List<Item> more = new ArrayList<>(items);
      more.add(item);
      return new Open(userId, more);
    }
  }

  record Shipped(String userId, List<Item> items) implements OrderState {
    public Shipped {
      items = List.copyOf(items);
    }
  }
}
