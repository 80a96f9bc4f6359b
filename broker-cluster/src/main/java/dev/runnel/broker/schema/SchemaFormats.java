package dev.runnel.broker.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * Parsing and compatibility, by the formats' own libraries: Apache Avro's {@code Schema.Parser} and
 * {@link SchemaCompatibility} for AVRO; for JSON, Jackson for the syntax and networknt's json-schema-validator for
 * validity (the schema must be valid against the meta-schema of its {@code $schema} dialect, draft-07 when it names
 * none, as Confluent's default). No well-kept Java library decides whether one JSON Schema accepts everything an
 * other one does, so for JSON only identical schemas are compatible: a changed JSON schema is refused (409) under
 * every level but NONE. PROTOBUF is refused as not supported. Stateless and thread-safe.
 */
final class SchemaFormats {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SchemaRegistry META_SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);

  /** A schema parsed by its format's library, with its canonical text. */
  record Parsed(SchemaType type, String canonical, Schema avro) {}

  private SchemaFormats() {}

  /**
   * Parses {@code text} as a {@code type} schema whose references {@code resolve} finds (it throws when one is not
   * registered); throws 42201 naming what is wrong.
   */
  static Parsed parse(SchemaType type, String text, List<SchemaReference> references,
      Function<SchemaReference, StoredSchema> resolve) {
    if (text == null || text.isBlank()) {
      throw RegistryException.invalidSchema("Empty schema");
    }
    switch (type) {
      case AVRO:
        return parseAvro(text, references, resolve);
      case JSON:
        return parseJson(text);
      default:
        throw RegistryException.invalidSchema(
            "Schema type " + type + " is not supported by this registry (supported: AVRO, JSON)");
    }
  }

  private static Parsed parseAvro(String text, List<SchemaReference> references,
      Function<SchemaReference, StoredSchema> resolve) {
    Map<String, Schema> known = referencedTypes(references, resolve);
    try {
      Schema schema = new Schema.Parser().addTypes(known.values()).parse(text);
      // Referenced types are written by name, as the client wrote them, not inlined.
      return new Parsed(SchemaType.AVRO, schema.toString(known.values(), false), schema);
    } catch (RuntimeException e) {
      throw RegistryException.invalidSchema("Invalid Avro schema: " + e.getMessage());
    }
  }

  /** Every named type the referenced schemas define, theirs and their own references' (depth first). */
  private static Map<String, Schema> referencedTypes(List<SchemaReference> references,
      Function<SchemaReference, StoredSchema> resolve) {
    Map<String, Schema> types = new LinkedHashMap<>();
    for (SchemaReference reference : references) {
      StoredSchema referenced = resolve.apply(reference);
      Map<String, Schema> theirs = referencedTypes(referenced.references(), resolve);
      Schema.Parser parser = new Schema.Parser().addTypes(theirs.values());
      try {
        parser.parse(referenced.schema());
      } catch (RuntimeException e) {
        throw RegistryException.invalidSchema(
            "Invalid Avro schema: the referenced schema '" + reference.name() + "' does not parse: " + e.getMessage());
      }
      types.putAll(theirs);
      types.putAll(parser.getTypes());
    }
    return types;
  }

  private static Parsed parseJson(String text) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw RegistryException.invalidSchema("Invalid JSON schema: " + e.getOriginalMessage());
    }
    if (node == null || !(node.isObject() || node.isBoolean())) {
      throw RegistryException.invalidSchema("Invalid JSON schema: a schema is a JSON object or a boolean");
    }
    SpecificationVersion dialect = node.isObject() && node.has("$schema")
        ? SpecificationVersion.fromDialectId(node.get("$schema").asText()).orElseThrow(() ->
            RegistryException.invalidSchema("Invalid JSON schema: unknown $schema " + node.get("$schema")))
        : SpecificationVersion.DRAFT_7;
    List<Error> errors;
    try {
      errors = META_SCHEMAS.getSchema(SchemaLocation.of(dialect.getDialectId())).validate(node);
    } catch (RuntimeException e) {
      throw RegistryException.invalidSchema("Invalid JSON schema: " + e.getMessage());
    }
    if (!errors.isEmpty()) {
      throw RegistryException.invalidSchema("Invalid JSON schema: " + errors.get(0));
    }
    return new Parsed(SchemaType.JSON, node.toString(), null);
  }

  /**
   * Why {@code candidate} may not follow {@code existing} under {@code level} (BACKWARD: the candidate reads what
   * the existing one wrote; FORWARD: the other way; FULL: both); empty when it may.
   */
  static List<String> incompatibilities(Parsed candidate, Parsed existing, CompatibilityLevel level, int version) {
    List<String> problems = new ArrayList<>();
    if (level == CompatibilityLevel.NONE) {
      return problems;
    }
    if (candidate.type() != existing.type()) {
      problems.add("Incompatible schema type: version " + version + " is " + existing.type() + ", the new schema "
          + candidate.type());
      return problems;
    }
    if (candidate.type() == SchemaType.JSON) {
      if (!candidate.canonical().equals(existing.canonical())) {
        problems.add("JSON Schema compatibility is not decided by this registry (only identical JSON schemas are "
            + "compatible); set compatibility NONE for this subject to register a changed schema (checked against "
            + "version " + version + ")");
      }
      return problems;
    }
    if (level.backward()) {
      problems.addAll(avroProblems(candidate.avro(), existing.avro(), "BACKWARD", version));
    }
    if (level.forward()) {
      problems.addAll(avroProblems(existing.avro(), candidate.avro(), "FORWARD", version));
    }
    return problems;
  }

  private static List<String> avroProblems(Schema reader, Schema writer, String direction, int version) {
    List<String> problems = new ArrayList<>();
    SchemaCompatibility.SchemaPairCompatibility pair =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    for (SchemaCompatibility.Incompatibility incompatibility : pair.getResult().getIncompatibilities()) {
      problems.add("{errorType:'" + incompatibility.getType() + "', description:'" + direction + " check against "
          + "version " + version + ": " + incompatibility.getMessage() + "', location:'"
          + incompatibility.getLocation() + "'}");
    }
    return problems;
  }
}
