package dev.runnel.client;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Checks shared by the settings classes. */
final class Endpoints {

  /** The path of the broker's native streaming endpoint. */
  static final String STREAM_PATH = "/stream";

  private Endpoints() {}

  /**
   * The bootstrap setting with the stream path added where none is given: one URI, or several separated by commas
   * (as Kafka's bootstrap.servers), which a client tries in turn when it connects again.
   */
  static String streamUri(String bootstrap) {
    List<String> uris = new ArrayList<>();
    for (String one : bootstrap.split(",")) {
      if (!one.isBlank()) {
        uris.add(oneStreamUri(one));
      }
    }
    if (uris.isEmpty()) {
      throw new IllegalArgumentException("runnel.client.bootstrap names no broker: " + bootstrap);
    }
    return String.join(",", uris);
  }

  /** The URIs of a bootstrap setting as {@link #streamUri} gave it. */
  static List<String> streamUris(String bootstrap) {
    return List.of(bootstrap.split(","));
  }

  private static String oneStreamUri(String bootstrap) {
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

  static void checkPositive(Duration value, String message) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(message);
    }
  }
}
