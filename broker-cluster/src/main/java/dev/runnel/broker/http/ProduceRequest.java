package dev.runnel.broker.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * A parsed {@code POST /topics/{topic}/records} body:
 * {@code {"format": "json"|"binary", "records": [{"key", "value", "headers", "partition", "timestamp"}]}}.
 *
 * @param records the records in request order, at least one
 */
record ProduceRequest(List<Record> records) {

  /**
   * One record to produce.
   *
   * @param key the key's bytes, or null
   * @param value the value's bytes, or null (a tombstone)
   * @param headers the headers in request order
   * @param partition the partition asked for, or null to let the partitioner choose
   * @param timestamp the record's create time in milliseconds, or null for the time of the request
   */
  record Record(byte[] key, byte[] value, Header[] headers, Integer partition, Long timestamp) {}

  private static final Set<String> FIELDS = Set.of("format", "records");
  private static final Set<String> RECORD_FIELDS = Set.of("key", "value", "headers", "partition", "timestamp");

  /** @throws InvalidRequestException naming what is wrong with the body */
  static ProduceRequest parse(JsonNode body) {
    return parse(body, Set.of());
  }

  /** {@link #parse(JsonNode)} of a body that may also hold the top-level fields {@code extraFields}. */
  static ProduceRequest parse(JsonNode body, Set<String> extraFields) {
    Set<String> known = new java.util.HashSet<>(FIELDS);
    known.addAll(extraFields);
    JsonFields.onlyKnown(body, "the request", known);
    RecordFormat format = body.has("format") && !body.get("format").isNull()
        ? RecordFormat.parse(JsonFields.requiredText(body, "format"))
        : RecordFormat.JSON;
    JsonNode records = body.get("records");
    if (records == null || !records.isArray()) {
      throw new InvalidRequestException("Field 'records' is required and must be an array");
    }
    if (records.isEmpty()) {
      throw new InvalidRequestException("Field 'records' must hold at least one record");
    }
    List<Record> parsed = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      parsed.add(parseRecord(records.get(i), i, format));
    }
    return new ProduceRequest(List.copyOf(parsed));
  }

  private static Record parseRecord(JsonNode record, int index, RecordFormat format) {
    String where = "records[" + index + "]";
    if (!record.isObject()) {
      throw new InvalidRequestException(where + " must be an object");
    }
    JsonFields.onlyKnown(record, where, RECORD_FIELDS);
    Integer partition = JsonFields.present(record, "partition")
        ? Integer.valueOf(JsonFields.optionalInt(record, "partition", -1))
        : null;
    Long timestamp = JsonFields.optionalLong(record, "timestamp");
    if (timestamp != null && timestamp < 0) {
      throw new InvalidTimestampException(where + ".timestamp must not be negative, not " + timestamp);
    }
    return new Record(
        format.encode(record.get("key"), where + ".key"),
        format.encode(record.get("value"), where + ".value"),
        headers(record.get("headers"), where, format),
        partition,
        timestamp);
  }

  private static Header[] headers(JsonNode headers, String where, RecordFormat format) {
    if (headers == null || headers.isNull()) {
      return new Header[0];
    }
    if (!headers.isObject()) {
      throw new InvalidRequestException(where + ".headers must be an object of header names to values");
    }
    List<Header> parsed = new ArrayList<>(headers.size());
    for (Iterator<Map.Entry<String, JsonNode>> fields = headers.fields(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      String name = field.getKey();
      parsed.add(new RecordHeader(name, format.encodeHeader(field.getValue(), where + ".headers." + name)));
    }
    return parsed.toArray(new Header[0]);
  }
}
