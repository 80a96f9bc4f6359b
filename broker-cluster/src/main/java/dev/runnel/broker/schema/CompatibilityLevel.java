package dev.runnel.broker.schema;

import java.util.Locale;

/**
 * Confluent's compatibility levels. BACKWARD: the new schema can read data written with the previous one (the new
 * schema is the reader); FORWARD: the previous schema can read data written with the new one; FULL: both. The
 * {@code _TRANSITIVE} variants check against every live earlier version instead of only the latest one.
 */
public enum CompatibilityLevel {
  NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE;

  boolean backward() {
    return this == BACKWARD || this == BACKWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
  }

  boolean forward() {
    return this == FORWARD || this == FORWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
  }

  boolean transitive() {
    return this == BACKWARD_TRANSITIVE || this == FORWARD_TRANSITIVE || this == FULL_TRANSITIVE;
  }

  /** The level a request names; 42203 when it names no level. */
  static CompatibilityLevel parse(String name) {
    if (name != null) {
      try {
        return valueOf(name.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        // answered below
      }
    }
    throw new RegistryException(RegistryError.of(RegistryError.INVALID_COMPATIBILITY_LEVEL,
        "Invalid compatibility level '" + name + "'; valid values: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, "
            + "FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE"));
  }
}
