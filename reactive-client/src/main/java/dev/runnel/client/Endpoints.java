package dev.runnel.client;

import java.net.URI;
import java.time.Duration;

/** Checks shared by the settings classes. */
final class Endpoints {

  /** The path of the broker's native streaming endpoint. */
  static final String STREAM_PATH = "/stream";

  private Endpoints() {}

  static String streamUri(String bootstrap) {
    URI uri;
    try {
      uri = URI.create(bootstrap.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("runnel.client.bootstrap is not a URI: " + bootstrap, e);
    }
    if (!"ws".equals(uri.getScheme()) && !"wss".equals(uri.getScheme())) {
      throw new IllegalArgumentException("runnel.client.bootstrap must be a ws:// or wss:// URI, not " + bootstrap);
    }
    if (uri.getPath() == null || uri.getPath().isEmpty() || "/".equals(uri.getPath())) {
      return uri.getScheme() + "://" + uri.getRawAuthority() + STREAM_PATH;
    }
    return uri.toString();
  }

  static void checkBackoff(Duration min, Duration max) {
    if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
      throw new IllegalArgumentException(
          "runnel.client.reconnect.min-backoff must be positive and max-backoff at least min-backoff");
    }
  }

  static void checkPositive(int value, String message) {
    if (value <= 0) {
      throw new IllegalArgumentException(message);
    }
  }
}
