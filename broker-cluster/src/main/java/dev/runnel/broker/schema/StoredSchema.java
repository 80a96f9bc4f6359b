package dev.runnel.broker.schema;

import java.util.List;

/**
 * One version of a subject, as held in {@code _schemas} and served by the API. {@code schema} is the canonical text
 * (Avro's own rendering of the parsed schema, compact JSON for JSON Schema), so equal schemas compare equal and
 * share an id. A soft-deleted version is kept with {@code deleted} set: it still holds its id and version number.
 */
public record StoredSchema(String subject, int version, int id, SchemaType schemaType, String schema,
    List<SchemaReference> references, boolean deleted) {

  public StoredSchema {
    references = references == null ? List.of() : List.copyOf(references);
  }

  StoredSchema softDeleted() {
    return new StoredSchema(subject, version, id, schemaType, schema, references, true);
  }

  /** Whether this version holds the same content as {@code other}: the condition for sharing a schema id. */
  boolean sameContent(SchemaType type, String canonical, List<SchemaReference> refs) {
    return schemaType == type && schema.equals(canonical) && references.equals(refs);
  }
}
