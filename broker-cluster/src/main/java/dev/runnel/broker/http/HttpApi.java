package dev.runnel.broker.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import dev.runnel.broker.Broker;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.server.Route;

/** The node's HTTP API: health, topic administration, JSON produce and consume. */
public final class HttpApi {

  private final Broker broker;

  public HttpApi(Broker broker) {
    this.broker = broker;
  }

  public Route route() {
    return concat(
        path("health", () -> get(() -> complete(HttpEntities.create(ContentTypes.APPLICATION_JSON, "{\"status\":\"UP\"}")))));
  }
}
