package dev.runnel.broker.stream;

import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.handleWebSocketMessages;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import dev.runnel.broker.Broker;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.metrics.RunnelMetrics;
import dev.runnel.broker.transaction.Transactions;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * The native streaming protocol's endpoint: {@code GET /stream} upgrades to a WebSocket that carries binary
 * protocol frames ({@code dev.runnel.client.internal.Protocol}); each connection is a {@link StreamConnection}.
 */
public final class StreamApi {

  private final Broker broker;
  private final Groups groups;
  private final Transactions transactions;
  private final StreamRegistry registry;
  private final AtomicLong connections = new AtomicLong();
  private final AtomicInteger open;

  private final long maxMessageBytes;

  public StreamApi(Broker broker, Groups groups, Transactions transactions) {
    this.broker = broker;
    this.groups = groups;
    this.transactions = transactions;
    this.registry = StreamRegistry.get(broker.system());
    this.open = RunnelMetrics.get(broker.system()).connections("native");
    this.maxMessageBytes = broker.system().settings().config().getBytes("runnel.broker.stream.max-message-bytes");
  }

  public Route route() {
    return path("stream", () -> get(() -> handleWebSocketMessages(connectionFlow())));
  }

  private Flow<Message, Message, NotUsed> connectionFlow() {
    return Flow.<Message, Message, NotUsed>fromMaterializer((materializer, attributes) -> {
          open.incrementAndGet();
          return new StreamConnection(broker, groups, transactions, registry, connections.incrementAndGet(), maxMessageBytes,
              materializer).flow();
        })
        .watchTermination((ignored, done) -> {
          done.whenComplete((ok, failure) -> open.decrementAndGet());
          return NotUsed.getInstance();
        });
  }
}
