package dev.runnel.broker.http;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

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
    Duration followPollWait,
    Duration metricsCollectTimeout) {

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
    HttpSettings settings = new HttpSettings(
        http.getBytes("max-request-size"),
        http.getInt("default-read-limit"),
        http.getInt("max-read-limit"),
        Math.toIntExact(http.getBytes("default-read-max-bytes")),
        Math.toIntExact(http.getBytes("max-read-max-bytes")),
        http.getDuration("max-read-wait"),
        http.getDuration("follow-poll-wait"),
        http.getDuration("metrics-collect-timeout"));
    checkRequestTimeout(config, settings.maxReadWait());
    return settings;
  }

  /**
   * pekko-http answers a bare 503 to a request that is not answered within its request-timeout. Every wait behind
   * the API must end before that, so that a partition or the registry that does not answer is the API's own 504
   * REQUEST_TIMED_OUT.
   */
  static void checkRequestTimeout(Config config, Duration maxReadWait) {
    String key = "pekko.http.server.request-timeout";
    if (!config.hasPath(key) || List.of("infinite", "off").contains(config.getString(key))) {
      return;
    }
    Duration requestTimeout = config.getDuration(key);
    Duration askTimeout = config.getDuration("runnel.broker.ask-timeout");
    Duration read = config.getDuration("runnel.broker.partition.request-timeout").plus(maxReadWait);
    if (askTimeout.compareTo(requestTimeout) >= 0 || read.compareTo(requestTimeout) >= 0) {
      throw new IllegalArgumentException(key + " (" + requestTimeout + ") must be longer than runnel.broker."
          + "ask-timeout (" + askTimeout + ") and than runnel.broker.partition.request-timeout plus "
          + "runnel.broker.http.max-read-wait (" + read + ")");
    }
  }
}
