package dev.runnel.samples.cqrs.domain;

/** Checks of a command's own fields; a failure is the client's mistake (400), named by the field. */
final class Fields {

  private Fields() {}

  static void requireText(String value, String field) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(field + " must be a non-empty string");
    }
  }

  /** Deliberately loose: one @ with text on both sides; a real service would send a confirmation mail. */
  static void requireEmail(String email) {
    requireText(email, "email");
    int at = email.indexOf('@');
    if (at <= 0 || at != email.lastIndexOf('@') || at == email.length() - 1) {
      throw new IllegalArgumentException("email must look like name@domain, not " + email);
    }
  }

  static void requirePositive(long value, String field) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be positive, not " + value);
    }
  }
}
