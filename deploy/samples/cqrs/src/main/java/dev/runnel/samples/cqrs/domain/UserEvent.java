package dev.runnel.samples.cqrs.domain;

/** The facts of a user's stream ({@code user-<id>}); each record's simple name is its envelope's event_type. */
public sealed interface UserEvent {

  record UserRegistered(String name, String email) implements UserEvent {}

  record EmailChanged(String email) implements UserEvent {}
}
