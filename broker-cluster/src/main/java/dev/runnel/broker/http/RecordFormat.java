package dev.runnel.broker.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import org.apache.kafka.common.errors.InvalidRequestException;

/**
 * How record keys, values and header values travel in JSON, for produce and consume alike.
 *
 * <ul>
 *   <li>{@link #JSON}: a JSON string is stored as its UTF-8 text, unquoted, so Kafka consumers with a
 *       {@code StringDeserializer} read the string itself; any other JSON value (object, array, number, boolean)
 *       is stored as its compact JSON text (numbers keep their digits, {@code 1.50} stays {@code 1.50}; an
 *       exponent is written in canonical form, {@code 1e10} as {@code 1E+10}). On reading, stored bytes that are a whole JSON object, array, number
 *       or boolean come back as that JSON value, and all other bytes as a string (UTF-8, malformed bytes replaced
 *       by U+FFFD). So a string whose text is itself such JSON (say {@code "42"}) reads back as that value ({@code
 *       42}); use {@link #BINARY} for an exact round trip of any bytes.
 *   <li>{@link #BINARY}: keys, values and header values are base64 strings (RFC 4648, with padding) of the bytes.
 * </ul>
 *
 * In both, JSON {@code null} is a null key, value (a tombstone) or header value. Header values in {@code JSON} are
 * strings, stored as UTF-8.
 */
enum RecordFormat {
  JSON,
  BINARY;

  static RecordFormat parse(String text) {
    try {
      return valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("format must be json or binary, not '" + text + "'");
    }
  }

  /** The bytes to store for a key or value; null for JSON null or a missing field. */
  byte[] encode(JsonNode node, String what) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (this == BINARY) {
      return decodeBase64(node, what);
    }
    if (node.isTextual()) {
      return node.textValue().getBytes(StandardCharsets.UTF_8);
    }
    return JsonCodec.write(node);
  }

  /** The bytes to store for a header value, which is a string in both formats. */
  byte[] encodeHeader(JsonNode node, String what) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new InvalidRequestException(what + " must be a string or null");
    }
    return this == BINARY ? decodeBase64(node, what) : node.textValue().getBytes(StandardCharsets.UTF_8);
  }

  /** A stored key or value as JSON; JSON null for a null one. */
  JsonNode decode(ByteBuffer bytes) {
    if (bytes == null) {
      return NullNode.getInstance();
    }
    byte[] array = toArray(bytes);
    if (this == BINARY) {
      return JsonNodeFactory.instance.textNode(Base64.getEncoder().encodeToString(array));
    }
    JsonNode parsed = parseJson(array);
    if (parsed != null && (parsed.isContainerNode() || parsed.isNumber() || parsed.isBoolean())) {
      return parsed;
    }
    return JsonNodeFactory.instance.textNode(new String(array, StandardCharsets.UTF_8));
  }

  /** A stored header value as JSON. */
  JsonNode decodeHeader(byte[] bytes) {
    if (bytes == null) {
      return NullNode.getInstance();
    }
    return JsonNodeFactory.instance.textNode(this == BINARY
        ? Base64.getEncoder().encodeToString(bytes)
        : new String(bytes, StandardCharsets.UTF_8));
  }

  private static JsonNode parseJson(byte[] bytes) {
    if (bytes.length == 0) {
      return null;
    }
    byte first = bytes[0];
    // Only text that can start an object, array, number or boolean is worth parsing.
    if (first != '{' && first != '[' && first != '-' && first != 't' && first != 'f' && (first < '0' || first > '9')) {
      return null;
    }
    try {
      return JsonCodec.MAPPER.readTree(bytes);
    } catch (IOException e) {
      return null;
    }
  }

  private static byte[] decodeBase64(JsonNode node, String what) {
    if (!node.isTextual()) {
      throw new InvalidRequestException(what + " must be a base64 string in the binary format");
    }
    try {
      return Base64.getDecoder().decode(node.textValue());
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(what + " is not valid base64: " + e.getMessage());
    }
  }

  private static byte[] toArray(ByteBuffer buffer) {
    byte[] array = new byte[buffer.remaining()];
    buffer.duplicate().get(array);
    return array;
  }
}
