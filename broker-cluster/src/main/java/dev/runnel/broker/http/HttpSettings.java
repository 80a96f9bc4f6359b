package dev.runnel.broker.http;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Limits of the HTTP API, read once from {@code runnel.broker.http} (see the module's {@code reference.conf}).
 *
 * @param maxRequestBytes the largest request body accepted
 * @param defaultReadLimit records a read returns when it gives no {@code limit}
 * @param maxReadLimit the largest {@code limit} a JSON read may ask for; larger ones are lowered to it
 * @param defaultReadMaxBytes batch bytes a read fetches when it gives no {@code max_bytes}
 * @param maxReadMaxBytes the largest {@code max_bytes} a read may ask for; larger ones are lowered to it
 * @param maxReadWait the longest {@code timeout_ms} a read may wait at the log end
 * @param followPollWait how long each fetch of a following NDJSON stream waits at the log end
 */
public record HttpSettings(
    long maxRequestBytes,
    int defaultReadLimit,
    int maxReadLimit,
    int defaultReadMaxBytes,
    int maxReadMaxBytes,
    Duration maxReadWait,
    Duration followPollWait) {

  public HttpSettings {
    checkPositive(maxRequestBytes, "runnel.broker.http.max-request-size");
    checkPositive(defaultReadLimit, "runnel.broker.http.default-read-limit");
    checkPositive(maxReadLimit, "runnel.broker.http.max-read-limit");
    checkPositive(defaultReadMaxBytes, "runnel.broker.http.default-read-max-bytes");
    checkPositive(maxReadMaxBytes, "runnel.broker.http.max-read-max-bytes");
    checkPositive(followPollWait.toMillis(), "runnel.broker.http.follow-poll-wait");
    if (maxReadWait.isNegative()) {
      throw new IllegalArgumentException("runnel.broker.http.max-read-wait must not be negative");
    }
    if (defaultReadLimit > maxReadLimit) {
      throw new IllegalArgumentException(
          "runnel.broker.http.default-read-limit must not be larger than max-read-limit");
    }
    if (defaultReadMaxBytes > maxReadMaxBytes) {
      throw new IllegalArgumentException(
          "runnel.broker.http.default-read-max-bytes must not be larger than max-read-max-bytes");
    }
  }

  private static void checkPositive(long value, String key) {
    if (value <= 0) {
      throw new IllegalArgumentException(key + " must be positive, not " + value);
    }
  }

  public static HttpSettings create(Config config) {
    Config http = config.getConfig("runnel.broker.http");
    return new HttpSettings(
        http.getBytes("max-request-size"),
        http.getInt("default-read-limit"),
        http.getInt("max-read-limit"),
        Math.toIntExact(http.getBytes("default-read-max-bytes")),
        Math.toIntExact(http.getBytes("max-read-max-bytes")),
        http.getDuration("max-read-wait"),
        http.getDuration("follow-poll-wait"));
  }
}
