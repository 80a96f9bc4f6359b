package dev.runnel.broker.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A plain JDK HTTP client against a node's schema registry, sending what Confluent's clients send: bodies as
 * {@code application/vnd.schemaregistry.v1+json}.
 */
final class RegistryTestClient {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  record Answer(int status, String contentType, String text) {

    JsonNode json() {
      try {
        return JSON.readTree(text);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON (status " + status + "): " + text, e);
      }
    }

    int errorCode() {
      return json().path("error_code").asInt();
    }
  }

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String base;

  RegistryTestClient(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  Answer get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  Answer delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
  }

  Answer post(String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", CONTENT_TYPE)
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  Answer put(String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", CONTENT_TYPE)
        .PUT(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** POST /subjects/{s}/versions with a schema of {@code type} (null: none named, i.e. AVRO). */
  Answer register(String subject, String type, String schema) {
    return post("/subjects/" + subject + "/versions", body(type, schema));
  }

  static String body(String type, String schema) {
    ObjectNode body = JSON.createObjectNode().put("schema", schema);
    if (type != null) {
      body.put("schemaType", type);
    }
    return body.toString();
  }

  private Answer send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = client.send(
          request.header("Accept", CONTENT_TYPE).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
          response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
