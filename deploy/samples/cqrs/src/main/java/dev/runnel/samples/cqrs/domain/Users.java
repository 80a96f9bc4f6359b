package dev.runnel.samples.cqrs.domain;

import dev.runnel.samples.cqrs.domain.UserCommand.ChangeEmail;
import dev.runnel.samples.cqrs.domain.UserCommand.RegisterUser;
import dev.runnel.samples.cqrs.domain.UserEvent.EmailChanged;
import dev.runnel.samples.cqrs.domain.UserEvent.UserRegistered;
import dev.runnel.samples.cqrs.domain.UserState.Registered;
import dev.runnel.samples.cqrs.domain.UserState.Unregistered;

/** The rules of a user's stream: registered once, then the email may change. Pure; thread-safe. */
public final class Users implements Decider<UserState, UserCommand, UserEvent> {

  /** Every stream of this kind is named so, then the user id. */
  public static final String STREAM_PREFIX = "user-";

  public static final String USER_NOT_FOUND = "USER_NOT_FOUND";
  public static final String USER_ALREADY_REGISTERED = "USER_ALREADY_REGISTERED";

  /** The stream that holds user {@code userId}'s events. */
  public static String streamId(String userId) {
    return STREAM_PREFIX + userId;
  }

  /** The user id of a stream of this kind, or null for a stream of another kind (or a record without a stream). */
  public static String userId(String streamId) {
    return streamId != null && streamId.startsWith(STREAM_PREFIX) ? streamId.substring(STREAM_PREFIX.length()) : null;
  }

  @Override
  public UserState initial() {
    return Unregistered.INSTANCE;
  }

  @Override
  public UserState evolve(UserState state, UserEvent event) {
    if (event instanceof UserRegistered registered) {
      return new Registered(registered.name(), registered.email());
    }
    if (event instanceof EmailChanged changed && state instanceof Registered user) {
      return new Registered(user.name(), changed.email());
    }
    throw new IllegalStateException("a user stream cannot hold " + event + " in state " + state);
  }

  @Override
  public Decision<UserEvent> decide(UserState state, UserCommand command) {
    if (command instanceof RegisterUser register) {
      return state instanceof Registered
          ? Decision.reject(USER_ALREADY_REGISTERED, "the user is already registered")
          : Decision.accept(new UserRegistered(register.name(), register.email()));
    }
    ChangeEmail change = (ChangeEmail) command;
    if (!(state instanceof Registered user)) {
      return Decision.reject(USER_NOT_FOUND, "no such user");
    }
    // Asking for the email the user already has is granted without an event: a retried request changes nothing.
    return user.email().equals(change.email())
        ? Decision.accept()
        : Decision.accept(new EmailChanged(change.email()));
  }
}
