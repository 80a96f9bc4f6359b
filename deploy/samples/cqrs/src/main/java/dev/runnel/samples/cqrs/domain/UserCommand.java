package dev.runnel.samples.cqrs.domain;

/** What a client may ask of a user; valid on its own by construction (the state decides the rest). */
public sealed interface UserCommand {

  record RegisterUser(String name, String email) implements UserCommand {
    public RegisterUser {
      Fields.requireText(name, "name");
      Fields.requireEmail(email);
    }
  }

  record ChangeEmail(String email) implements UserCommand {
    public ChangeEmail {
      Fields.requireEmail(email);
    }
  }
}
