package dev.runnel.broker.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.errors.InvalidRequestException;

/**
 * Typed reads of the fields of a JSON request object. Each one refuses a value of the wrong type with an
 * {@link InvalidRequestException} that names the field, so a client's mistake is answered 400 INVALID_REQUEST.
 */
final class JsonFields {

  private JsonFields() {}

  /** Refuses fields other than {@code known}, so a misspelt field is not silently ignored. */
  static void onlyKnown(JsonNode object, String where, Set<String> known) {
    for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new InvalidRequestException("Unknown field '" + name + "' in " + where + "; known fields: " + known);
      }
    }
  }

  static boolean present(JsonNode object, String field) {
    JsonNode value = object.get(field);
    return value != null && !value.isNull();
  }

  static String requiredText(JsonNode object, String field) {
    JsonNode value = object.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidRequestException("Field '" + field + "' is required");
    }
    if (!value.isTextual()) {
      throw new InvalidRequestException("Field '" + field + "' must be a string");
    }
    return value.textValue();
  }

  static int requiredInt(JsonNode object, String field) {
    if (!present(object, field)) {
      throw new InvalidRequestException("Field '" + field + "' is required");
    }
    return optionalInt(object, field, 0);
  }

  static int optionalInt(JsonNode object, String field, int otherwise) {
    JsonNode value = object.get(field);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new InvalidRequestException("Field '" + field + "' must be a whole number that fits in 32 bits");
    }
    return value.intValue();
  }

  static Long optionalLong(JsonNode object, String field) {
    JsonNode value = object.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new InvalidRequestException("Field '" + field + "' must be a whole number that fits in 64 bits");
    }
    return value.longValue();
  }

  /**
   * A map of Kafka config names to values. Values may be strings, numbers or booleans, taken as their text, as
   * Kafka configs are strings.
   */
  static Map<String, String> optionalConfigs(JsonNode object, String field) {
    JsonNode value = object.get(field);
    if (value == null || value.isNull()) {
      return Map.of();
    }
    if (!value.isObject()) {
      throw new InvalidRequestException("Field '" + field + "' must be an object of config names to values");
    }
    Map<String, String> configs = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> entries = value.fields(); entries.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = entries.next();
      JsonNode config = entry.getValue();
      if (!config.isValueNode() || config.isNull()) {
        throw new InvalidRequestException(
            "Config '" + entry.getKey() + "' must be a string, number or boolean, not " + config.getNodeType());
      }
      configs.put(entry.getKey(), config.asText());
    }
    return configs;
  }
}
