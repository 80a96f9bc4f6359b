package dev.runnel.broker.schema;

/**
 * A schema's reference to another registered schema, as Confluent's API has it: {@code name} is how the referring
 * schema names it (an Avro full name, or a JSON Schema {@code $ref} target), {@code subject} and {@code version}
 * where it is registered.
 */
public record SchemaReference(String name, String subject, int version) {}
