package dev.runnel.broker.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The records of {@code _schemas}: JSON keys and values in the shape of Confluent's own {@code _schemas} topic, so
 * compaction keeps the newest record of each version, config and counter. Keys: {@code {"keytype":"SCHEMA",
 * "subject":S,"version":V,"magic":1}}, {@code {"keytype":"CONFIG","subject":S,"magic":0}} (no subject: the global
 * level) and Runnel's {@code {"keytype":"ID_COUNTER","magic":0}}; a null value (tombstone) erases a version or a
 * config. Stateless and thread-safe.
 */
final class SchemaLogCodec {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A record's key and value; {@code value} is null for a tombstone. */
  record Encoded(byte[] key, byte[] value) {}

  private SchemaLogCodec() {}

  static Encoded encode(Change change) {
    ObjectNode key = JSON.createObjectNode();
    ObjectNode value = JSON.createObjectNode();
    boolean tombstone = false;
    if (change instanceof Change.SchemaStored stored) {
      StoredSchema schema = stored.schema();
      key.put("keytype", "SCHEMA").put("subject", schema.subject()).put("version", schema.version()).put("magic", 1);
      value.put("subject", schema.subject()).put("version", schema.version()).put("id", schema.id())
          .put("schemaType", schema.schemaType().name()).put("schema", schema.schema())
          .put("deleted", schema.deleted());
      ArrayNode references = value.putArray("references");
      for (SchemaReference reference : schema.references()) {
        references.addObject().put("name", reference.name()).put("subject", reference.subject())
            .put("version", reference.version());
      }
    } else if (change instanceof Change.SchemaErased erased) {
      key.put("keytype", "SCHEMA").put("subject", erased.subject()).put("version", erased.version()).put("magic", 1);
      tombstone = true;
    } else if (change instanceof Change.ConfigSet set) {
      configKey(key, set.subject());
      value.put("compatibilityLevel", set.level().name());
    } else if (change instanceof Change.ConfigCleared cleared) {
      configKey(key, cleared.subject());
      tombstone = true;
    } else if (change instanceof Change.IdsAllocated ids) {
      key.put("keytype", "ID_COUNTER").put("magic", 0);
      value.put("lastId", ids.lastId());
    } else {
      throw new IllegalArgumentException("Unknown change " + change);
    }
    try {
      return new Encoded(JSON.writeValueAsBytes(key), tombstone ? null : JSON.writeValueAsBytes(value));
    } catch (IOException e) {
      throw new IllegalStateException("JSON of a change does not write", e);
    }
  }

  private static void configKey(ObjectNode key, String subject) {
    key.put("keytype", "CONFIG");
    if (subject != null) {
      key.put("subject", subject);
    }
    key.put("magic", 0);
  }

  /**
   * The change a record states; empty for a record that is not one of the registry's (a key of another type, or
   * no JSON), which the readers skip so that a stray record in the topic cannot stop the registry.
   */
  static Optional<Change> decode(ByteBuffer keyBytes, ByteBuffer valueBytes) {
    if (keyBytes == null) {
      return Optional.empty();
    }
    try {
      JsonNode key = JSON.readTree(bytes(keyBytes));
      JsonNode value = valueBytes == null ? null : JSON.readTree(bytes(valueBytes));
      String type = key.path("keytype").asText();
      switch (type) {
        case "SCHEMA": {
          String subject = key.get("subject").asText();
          int version = key.get("version").asInt();
          if (value == null) {
            return Optional.of(new Change.SchemaErased(subject, version));
          }
          List<SchemaReference> references = new ArrayList<>();
          for (JsonNode reference : value.path("references")) {
            references.add(new SchemaReference(reference.get("name").asText(), reference.get("subject").asText(),
                reference.get("version").asInt()));
          }
          return Optional.of(new Change.SchemaStored(new StoredSchema(subject, version, value.get("id").asInt(),
              SchemaType.valueOf(value.path("schemaType").asText("AVRO")), value.get("schema").asText(), references,
              value.path("deleted").asBoolean(false))));
        }
        case "CONFIG": {
          String subject = key.hasNonNull("subject") ? key.get("subject").asText() : null;
          return Optional.of(value == null
              ? new Change.ConfigCleared(subject)
              : new Change.ConfigSet(subject, CompatibilityLevel.valueOf(value.get("compatibilityLevel").asText())));
        }
        case "ID_COUNTER":
          return value == null ? Optional.empty() : Optional.of(new Change.IdsAllocated(value.get("lastId").asInt()));
        default:
          return Optional.empty();
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }
}
