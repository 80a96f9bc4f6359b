package dev.runnel.broker.schema;

import dev.runnel.broker.CborSerializable;
import java.util.List;

/** A schema as a client sends it to register, look up or test: its type, its text, what it references. */
public record SchemaDraft(SchemaType schemaType, String schema, List<SchemaReference> references)
    implements CborSerializable {

  public SchemaDraft {
    references = references == null ? List.of() : List.copyOf(references);
  }
}
