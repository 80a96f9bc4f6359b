package dev.runnel.broker.memory;

import com.typesafe.config.Config;

/**
 * Bounds of the memory reads hold, read once from {@code runnel.broker.fetch} (see {@code reference.conf}).
 *
 * @param maxBytesInFlight bytes of read results the whole node holds at once, from reading until written out
 * @param connectionMaxBytesInFlight the same for one Kafka connection; also the most one fetch response holds
 */
public record ReadMemorySettings(long maxBytesInFlight, long connectionMaxBytesInFlight) {

  public ReadMemorySettings {
    if (maxBytesInFlight < 1024 * 1024) {
      throw new IllegalArgumentException("runnel.broker.fetch.max-bytes-in-flight must be at least 1 MiB");
    }
    if (connectionMaxBytesInFlight < 1024 || connectionMaxBytesInFlight > maxBytesInFlight) {
      throw new IllegalArgumentException(
          "runnel.broker.fetch.connection-max-bytes-in-flight must be at least 1 KiB and at most max-bytes-in-flight");
    }
  }

  public static ReadMemorySettings create(Config config) {
    Config fetch = config.getConfig("runnel.broker.fetch");
    return new ReadMemorySettings(fetch.getBytes("max-bytes-in-flight"), fetch.getBytes("connection-max-bytes-in-flight"));
  }
}
