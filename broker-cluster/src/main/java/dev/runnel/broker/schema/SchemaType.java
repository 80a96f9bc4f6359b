package dev.runnel.broker.schema;

import java.util.Locale;

/**
 * The schema formats Confluent's registry names in {@code schemaType}. AVRO is the default when a request names
 * none, as in Confluent's API. PROTOBUF is known by name so that a request for it is answered with a clear
 * "not supported" (42201) instead of "unknown type": no descriptor-based protobuf parser is wired in here.
 */
public enum SchemaType {
  AVRO, JSON, PROTOBUF;

  /** The type a request names, AVRO when it names none. */
  static SchemaType parse(String name) {
    if (name == null || name.isEmpty()) {
      return AVRO;
    }
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw RegistryException.invalidSchema("Unknown schema type '" + name + "' (supported: AVRO, JSON)");
    }
  }
}
