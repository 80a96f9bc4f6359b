package dev.runnel.samples.cqrs.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.runnel.samples.cqrs.domain.UserCommand.ChangeEmail;
import dev.runnel.samples.cqrs.domain.UserCommand.RegisterUser;
import dev.runnel.samples.cqrs.domain.UserEvent.EmailChanged;
import dev.runnel.samples.cqrs.domain.UserEvent.UserRegistered;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class UsersTest {

  private final Users users = new Users();
  private final UserState ada = users.evolve(users.initial(), new UserRegistered("Ada", "ada@example.org"));

  @Test
  void when_anUnknownUserRegisters_then_UserRegisteredIsDecided() {
    assertEquals(Decision.accept(new UserRegistered("Ada", "ada@example.org")),
        users.decide(users.initial(), new RegisterUser("Ada", "ada@example.org")));
  }

  @Test
  void when_aRegisteredUserRegistersAgain_then_itIsRejected() {
    assertEquals(Decision.reject(Users.USER_ALREADY_REGISTERED, "the user is already registered"),
        users.decide(ada, new RegisterUser("Ada", "other@example.org")));
  }

  @Test
  void when_theEmailChanges_then_EmailChangedIsDecidedAndEvolvesTheState() {
    Decision<UserEvent> decision = users.decide(ada, new ChangeEmail("lovelace@example.org"));

    assertEquals(Decision.accept(new EmailChanged("lovelace@example.org")), decision);
    assertEquals(new UserState.Registered("Ada", "lovelace@example.org"),
        users.evolve(ada, ((Decision.Accept<UserEvent>) decision).events().get(0)));
  }

  @Test
  void when_theEmailIsChangedToTheSameOne_then_nothingIsDecided() {
    assertEquals(new Decision.Accept<UserEvent>(List.of()), users.decide(ada, new ChangeEmail("ada@example.org")));
  }

  @Test
  void when_anUnknownUsersEmailChanges_then_itIsRejectedAsNotFound() {
    Decision<UserEvent> decision = users.decide(users.initial(), new ChangeEmail("x@example.org"));

    assertEquals(Users.USER_NOT_FOUND, ((Decision.Reject<UserEvent>) decision).error());
  }

  @Test
  void when_aCommandsFieldsAreInvalid_then_itCannotBeMade() {
    assertThrows(IllegalArgumentException.class, () -> new RegisterUser(" ", "ada@example.org"));
    assertThrows(IllegalArgumentException.class, () -> new RegisterUser("Ada", "no-at-sign"));
    assertThrows(IllegalArgumentException.class, () -> new ChangeEmail("a@b@c"));
  }

  @Test
  void when_aStreamHoldsAnEmailChangeBeforeRegistration_then_replayFails() {
    assertThrows(IllegalStateException.class, () -> users.evolve(users.initial(), new EmailChanged("x@example.org")));
  }
}
