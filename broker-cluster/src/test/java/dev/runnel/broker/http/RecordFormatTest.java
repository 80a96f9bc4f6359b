package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The documented rule for keys and values in JSON and binary, both ways. */
@Timeout(10)
class RecordFormatTest {

  private static JsonNode json(String text) throws Exception {
    return JsonCodec.MAPPER.readTree(text);
  }

  private static String stored(RecordFormat format, String jsonText) throws Exception {
    return new String(format.encode(json(jsonText), "value"), StandardCharsets.UTF_8);
  }

  private static JsonNode read(RecordFormat format, String storedText) {
    return format.decode(ByteBuffer.wrap(storedText.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void when_jsonStringProduced_then_storedUnquotedAndReadAsTheString() throws Exception {
    assertEquals("hello", stored(RecordFormat.JSON, "\"hello\""));
    assertEquals("hello", read(RecordFormat.JSON, "hello").textValue());
    assertEquals("\"quoted\"", stored(RecordFormat.JSON, "\"\\\"quoted\\\"\""));
    assertEquals("\"quoted\"", read(RecordFormat.JSON, "\"quoted\"").textValue(), "a JSON string literal stays text");
    assertEquals("null", read(RecordFormat.JSON, "null").textValue(), "the text null is not a tombstone");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"a\":[1,2.50,{\"b\":null}]}", "[]", "42", "-7.000", "0.1", "true", "false",
      "123456789012345678901234567890"})
  void when_nonStringJsonProduced_then_exactTextStoredAndSameJsonRead(String value) throws Exception {
    assertEquals(value, stored(RecordFormat.JSON, value));
    assertEquals(value, read(RecordFormat.JSON, value).toString());
  }

  @Test
  void when_numberHasExponent_then_storedInCanonicalForm() throws Exception {
    assertEquals("1E+10", stored(RecordFormat.JSON, "1e10"));
  }

  @Test
  void when_stringLooksLikeJson_then_readBackAsThatJson() throws Exception {
    assertEquals("42", stored(RecordFormat.JSON, "\"42\""));
    assertTrue(read(RecordFormat.JSON, "42").isNumber(), "documented: such a string reads back as its JSON");
    assertEquals("{not json", read(RecordFormat.JSON, "{not json").textValue());
  }

  @Test
  void when_nullOrAbsent_then_nullBytesAndJsonNull() throws Exception {
    assertNull(RecordFormat.JSON.encode(null, "value"));
    assertNull(RecordFormat.JSON.encode(json("null"), "value"));
    assertNull(RecordFormat.BINARY.encode(json("null"), "value"));
    assertTrue(RecordFormat.JSON.decode(null).isNull());
    assertTrue(RecordFormat.BINARY.decode(null).isNull());
  }

  @Test
  void when_binary_then_anyBytesRoundTripThroughBase64() throws Exception {
    byte[] bytes = {(byte) 0xff, 0, (byte) 0xc3, 0x28};
    JsonNode encoded = RecordFormat.BINARY.decode(ByteBuffer.wrap(bytes));
    assertEquals("/wDDKA==", encoded.textValue());
    assertArrayEquals(bytes, RecordFormat.BINARY.encode(encoded, "value"));
    assertThrows(InvalidRequestException.class, () -> RecordFormat.BINARY.encode(json("\"%%%\""), "value"));
    assertThrows(InvalidRequestException.class, () -> RecordFormat.BINARY.encode(json("12"), "value"));
  }

  @Test
  void when_jsonFormatReadsNonUtf8_then_replacementCharacters() {
    JsonNode read = RecordFormat.JSON.decode(ByteBuffer.wrap(new byte[] {'a', (byte) 0xff, 'b'}));
    assertEquals("a\uFFFDb", read.textValue());
  }
}
