package dev.runnel.broker.schema;

/** A request refused with a {@link RegistryError}; the API answers it as Confluent's error JSON. */
public final class RegistryException extends RuntimeException {

  private final RegistryError error;

  RegistryException(RegistryError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public RegistryError error() {
    return error;
  }

  static RegistryException invalidSchema(String message) {
    return new RegistryException(RegistryError.of(RegistryError.INVALID_SCHEMA, message));
  }

  static RegistryException subjectNotFound(String subject) {
    return new RegistryException(RegistryError.of(RegistryError.SUBJECT_NOT_FOUND,
        "Subject '" + subject + "' not found."));
  }

  static RegistryException versionNotFound(String subject, int version) {
    return new RegistryException(RegistryError.of(RegistryError.VERSION_NOT_FOUND,
        "Version " + version + " not found for subject '" + subject + "'."));
  }

  static RegistryException schemaNotFound(String what) {
    return new RegistryException(RegistryError.of(RegistryError.SCHEMA_NOT_FOUND, what));
  }
}
