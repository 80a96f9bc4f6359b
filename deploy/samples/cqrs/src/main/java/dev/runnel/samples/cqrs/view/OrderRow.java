package dev.runnel.samples.cqrs.view;

import dev.runnel.samples.cqrs.domain.OrderState.Item;
import java.util.List;

/**
 * A row of {@code order_view}: an order as of the {@code version}-th event of its stream, the last one applied.
 * OrderView's idempotence rests on that version: an event at or below it is already in the row.
 *
 * @param updatedAt when that event was appended, ms since the epoch
 */
public record OrderRow(String orderId, String userId, Status status, List<Item> items, long totalCents, long version,
    long updatedAt) {

  public enum Status { OPEN, SHIPPED }

  public OrderRow {
    items = List.copyOf(items);
  }
}
