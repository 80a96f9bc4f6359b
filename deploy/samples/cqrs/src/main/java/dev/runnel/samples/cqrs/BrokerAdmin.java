package dev.runnel.samples.cqrs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The two things the sample asks of the broker's HTTP API (README, "Topics") rather than of the native protocol:
 * creating the topic with a partition count, and the partitions' log end offsets, which tell when a projection has
 * caught up. The API is on the same host and port as the native stream endpoint of {@code runnel.client.bootstrap}.
 * Thread-safe.
 */
public final class BrokerAdmin {

  private final ActorSystem<?> system;
  private final String baseUri;
  private final Duration timeout;
  private final ObjectMapper json;

  public BrokerAdmin(ActorSystem<?> system, String bootstrap, Duration timeout, ObjectMapper json) {
    this.system = system;
    this.baseUri = httpUri(bootstrap);
    this.timeout = timeout;
    this.json = json;
  }

  /** The HTTP base URI of the first broker of a bootstrap list of ws:// (or wss://) stream endpoints. */
  static String httpUri(String bootstrap) {
    URI stream = URI.create(bootstrap.split(",")[0].trim());
    String scheme = "wss".equals(stream.getScheme()) ? "https" : "http";
    return scheme + "://" + stream.getHost() + ":" + stream.getPort();
  }

  /**
   * Creates {@code topic} with {@code partitions} partitions if it does not exist, and answers its partition count
   * (an existing topic's own). It must exist before a consumer group subscribes to it: a group that formed while its
   * topic was missing was seen to keep an empty assignment after the topic appeared.
   */
  public CompletionStage<Integer> ensureTopic(String topic, int partitions) {
    String body = json.createObjectNode().put("name", topic).put("partitions", partitions).toString();
    HttpRequest create = HttpRequest.POST(baseUri + "/topics").withEntity(ContentTypes.APPLICATION_JSON, body);
    return call(create).thenCompose(created -> {
      if (created.status() == StatusCodes.CREATED.intValue()) {
        return CompletableFuture.completedFuture(created.body().get("partitions").asInt());
      }
      if (created.status() == StatusCodes.CONFLICT.intValue()) {
        return logEnd(topic).thenApply(Map::size);
      }
      throw new IllegalStateException("the broker answered " + created.status() + " to creating topic " + topic
          + ": " + created.body());
    });
  }

  /** Each partition's log end offset (the offset the next record will get). */
  public CompletionStage<Map<Integer, Long>> logEnd(String topic) {
    return call(HttpRequest.GET(baseUri + "/topics/" + topic)).thenApply(described -> {
      if (described.status() != StatusCodes.OK.intValue()) {
        throw new IllegalStateException("the broker answered " + described.status() + " to describing topic "
            + topic + ": " + described.body());
      }
      Map<Integer, Long> ends = new TreeMap<>();
      for (JsonNode partition : described.body().get("partitions")) {
        ends.put(partition.get("partition").asInt(), partition.get("log_end_offset").asLong());
      }
      return ends;
    });
  }

  private record Answer(int status, JsonNode body) {}

  private CompletionStage<Answer> call(HttpRequest request) {
    return Http.get(system).singleRequest(request)
        .thenCompose((HttpResponse response) -> response.entity().toStrict(timeout.toMillis(), system)
            .thenApply(entity -> {
              try {
                return new Answer(response.status().intValue(), json.readTree(entity.getData().toArray()));
              } catch (IOException e) {
                throw new UncheckedIOException("unreadable answer from the broker to " + request.getUri(), e);
              }
            }))
        .toCompletableFuture()
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
