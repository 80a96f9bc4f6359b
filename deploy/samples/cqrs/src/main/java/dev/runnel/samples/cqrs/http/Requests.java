package dev.runnel.samples.cqrs.http;

/** The bodies of the command requests, as JSON (snake_case); an id left out is generated. */
final class Requests {

  private Requests() {}

  record RegisterUser(String userId, String name, String email) {}

  record ChangeEmail(String email) {}

  record PlaceOrder(String orderId, String userId) {}

  /** Primitive fields: a missing one is refused rather than read as 0. */
  record AddItem(String sku, int quantity, long unitPriceCents) {}
}
