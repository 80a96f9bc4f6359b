package dev.runnel.broker.http;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.errors.InvalidRequestException;

/**
 * The query of a record read.
 *
 * @param offset where to start; null for the log start
 * @param limit how many records a JSON read returns at most
 * @param streamLimit how many records an NDJSON stream sends at most; null for no limit
 * @param maxBytes batch bytes per fetch
 * @param timeout how long a JSON read waits at the log end
 * @param follow whether an NDJSON stream follows new records
 * @param format how keys and values are shown
 * @param isolation {@code isolation=read_committed} (the default) reads only below the last stable offset and
 *     skips aborted transactions; {@code read_uncommitted} reads up to the high watermark, open and aborted
 *     transactions included. Transaction markers are never shown.
 */
record ReadParams(Long offset, int limit, Long streamLimit, int maxBytes, Duration timeout, boolean follow,
    RecordFormat format, IsolationLevel isolation) {

  static ReadParams parse(Map<String, String> params, HttpSettings settings) {
    Long offset = longParam(params, "offset");
    Long limit = longParam(params, "limit");
    if (limit != null && limit < 1) {
      throw new InvalidRequestException("limit must be at least 1, not " + limit);
    }
    Long maxBytes = longParam(params, "max_bytes");
    if (maxBytes != null && maxBytes < 1) {
      throw new InvalidRequestException("max_bytes must be at least 1, not " + maxBytes);
    }
    Long timeoutMs = longParam(params, "timeout_ms");
    if (timeoutMs != null && timeoutMs < 0) {
      throw new InvalidRequestException("timeout_ms must not be negative, not " + timeoutMs);
    }
    String follow = params.getOrDefault("follow", "false");
    if (!follow.equals("true") && !follow.equals("false")) {
      throw new InvalidRequestException("follow must be true or false, not '" + follow + "'");
    }
    String isolation = params.getOrDefault("isolation", "read_committed");
    if (!isolation.equals("read_committed") && !isolation.equals("read_uncommitted")) {
      throw new InvalidRequestException("isolation must be read_committed or read_uncommitted, not '" + isolation + "'");
    }
    Duration timeout = timeoutMs == null ? Duration.ZERO : Duration.ofMillis(timeoutMs);
    return new ReadParams(
        offset,
        limit == null ? settings.defaultReadLimit() : (int) Math.min(limit, settings.maxReadLimit()),
        limit,
        maxBytes == null ? settings.defaultReadMaxBytes() : (int) Math.min(maxBytes, settings.maxReadMaxBytes()),
        timeout.compareTo(settings.maxReadWait()) > 0 ? settings.maxReadWait() : timeout,
        follow.equals("true"),
        Optional.ofNullable(params.get("format")).map(RecordFormat::parse).orElse(RecordFormat.JSON),
        isolation.equals("read_committed") ? IsolationLevel.READ_COMMITTED : IsolationLevel.READ_UNCOMMITTED);
  }

  static Long longParam(Map<String, String> params, String name) {
    String text = params.get(name);
    if (text == null) {
      return null;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new InvalidRequestException(name + " must be a whole number, not '" + text + "'");
    }
  }
}
