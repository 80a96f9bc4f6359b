package dev.runnel.samples.cqrs.domain;

/** A user's state, one type per phase of its life. */
public sealed interface UserState {

  enum Unregistered implements UserState { INSTANCE }

  record Registered(String name, String email) implements UserState {}
}
