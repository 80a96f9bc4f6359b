package dev.runnel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The broker's HTTP API as the CLI uses it (see the README's "HTTP API"): JSON requests and answers, NDJSON record
 * streams. An error answer becomes a {@link BrokerError}; no answer at all a {@link BrokerUnreachable}. Thread-safe.
 */
final class BrokerClient {

  static final ObjectMapper JSON = new ObjectMapper();

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Longer than the broker's own ask and long-poll timeouts, so the broker's error arrives first. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
  private final URI base;

  BrokerClient(URI base) {
    String text = base.toString();
    this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
  }

  URI base() {
    return base;
  }

  /** One path segment, percent-encoded (topic names are plain, group ids may hold anything). */
  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }

  JsonNode get(String path) {
    return send(request(path).GET());
  }

  JsonNode delete(String path) {
    return send(request(path).DELETE());
  }

  JsonNode post(String path, JsonNode body) {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  JsonNode put(String path, JsonNode body) {
    return send(request(path).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  /**
   * An NDJSON record stream ({@code Accept: application/x-ndjson}), opened; an error before the stream started is
   * thrown here. Closing the reader ends the stream.
   */
  BufferedReader stream(String path) {
    HttpRequest request = HttpRequest.newBuilder(uri(path))
        .header("Accept", "application/x-ndjson").GET().build();
    HttpResponse<InputStream> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerUnreachable("interrupted while waiting for " + base, e);
    }
    if (response.statusCode() / 100 != 2) {
      try (InputStream body = response.body()) {
        throw error(response.statusCode(), new String(body.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw unreachable(e);
      }
    }
    return new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(uri(path)).timeout(REQUEST_TIMEOUT);
  }

  private URI uri(String path) {
    return URI.create(base + path);
  }

  private JsonNode send(HttpRequest.Builder request) {
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerUnreachable("interrupted while waiting for " + base, e);
    }
    if (response.statusCode() / 100 != 2) {
      throw error(response.statusCode(), response.body());
    }
    return parse(response.body());
  }

  private BrokerUnreachable unreachable(IOException e) {
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new BrokerUnreachable("cannot reach the broker at " + base + " (" + reason + ")", e);
  }

  /** The broker's error JSON as a {@link BrokerError}; an answer that is not one (a proxy's page) by its status. */
  static BrokerError error(int status, String body) {
    try {
      JsonNode json = JSON.readTree(body);
      if (json != null && json.hasNonNull("error")) {
        return new BrokerError(json.path("error").asText(), json.path("code").asInt(-1),
            json.path("message").asText(""), status);
      }
    } catch (IOException e) {
      // Not JSON: reported by its status below.
    }
    return new BrokerError("HTTP_" + status, -1, body.isBlank() ? "no error body" : body.strip(), status);
  }

  static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException("the broker answered something that is not JSON: " + text, e);
    }
  }
}
