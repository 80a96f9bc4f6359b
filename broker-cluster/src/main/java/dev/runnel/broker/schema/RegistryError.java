package dev.runnel.broker.schema;

import dev.runnel.broker.CborSerializable;

/**
 * A refusal in Confluent Schema Registry's vocabulary: the HTTP status and the {@code error_code} its clients
 * branch on (they read {@code error_code}, e.g. 40401 to tell "subject not found" from "version not found").
 */
public record RegistryError(int status, int errorCode, String message) implements CborSerializable {

  static final int SUBJECT_NOT_FOUND = 40401;
  static final int VERSION_NOT_FOUND = 40402;
  static final int SCHEMA_NOT_FOUND = 40403;
  static final int SUBJECT_SOFT_DELETED = 40404;
  static final int SUBJECT_NOT_SOFT_DELETED = 40405;
  static final int VERSION_SOFT_DELETED = 40406;
  static final int VERSION_NOT_SOFT_DELETED = 40407;
  static final int SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED = 40408;
  static final int INCOMPATIBLE_SCHEMA = 409;
  static final int INVALID_SCHEMA = 42201;
  static final int INVALID_VERSION = 42202;
  static final int INVALID_COMPATIBILITY_LEVEL = 42203;
  static final int REFERENCE_EXISTS = 42206;
  static final int INVALID_SUBJECT = 42208;
  static final int STORE_ERROR = 50001;
  static final int OPERATION_TIMEOUT = 50002;

  /** The error with the status its code implies: the code's first three digits. */
  static RegistryError of(int errorCode, String message) {
    int status = errorCode < 1000 ? errorCode : errorCode / 100;
    return new RegistryError(status, errorCode, message);
  }
}
