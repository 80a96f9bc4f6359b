package dev.runnel.samples.cqrs;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

/** The sample's one JSON form, for event payloads and HTTP bodies alike: snake_case fields, unknown ones refused. */
public final class Json {

  private Json() {}

  /** A new mapper (thread-safe once configured, as Jackson's mappers are). */
  public static ObjectMapper mapper() {
    return new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        // A misspelt field must not be silently ignored: a command would run without it.
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        // Events without fields (OrderShipped) are "{}".
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  }
}
