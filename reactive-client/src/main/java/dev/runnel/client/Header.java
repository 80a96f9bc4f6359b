package dev.runnel.client;

import java.nio.charset.StandardCharsets;

/** A record header, as in Kafka: a string key and a byte value (null allowed). */
public record Header(String key, byte[] value) {

  public static Header of(String key, String value) {
    return new Header(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
