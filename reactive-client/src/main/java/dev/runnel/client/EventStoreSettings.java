package dev.runnel.client;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * Settings of an {@link EventStore}, from {@code runnel.client.event-store} (and the client's {@code bootstrap},
 * {@code request-timeout}).
 *
 * @param bootstrap the brokers' stream endpoints, as {@code runnel.client.bootstrap}
 * @param topic the topic that holds every stream's events
 * @param requestTimeout how long an append or read waits for the broker's answer
 * @param maxInFlight requests the store may have sent and not yet had answered (its connection's send queue)
 * @param consumer how {@link EventStore#subscribe} reads the topic
 */
public record EventStoreSettings(String bootstrap, String topic, Duration requestTimeout, int maxInFlight,
    ConsumerSettings consumer) {

  public EventStoreSettings {
    bootstrap = Endpoints.streamUri(bootstrap);
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("runnel.client.event-store.topic must name a topic");
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("runnel.client.request-timeout must be positive");
    }
    Endpoints.checkPositive(maxInFlight, "runnel.client.event-store.max-in-flight must be positive");
  }

  List<String> bootstrapUris() {
    return Endpoints.streamUris(bootstrap);
  }

  public static EventStoreSettings create(ClassicActorSystemProvider system) {
    return create(system.classicSystem().settings().config());
  }

  /** Reads {@code runnel.client} from a configuration that includes the module's reference.conf. */
  public static EventStoreSettings create(Config config) {
    Config client = config.getConfig("runnel.client");
    Config store = client.getConfig("event-store");
    return new EventStoreSettings(client.getString("bootstrap"), store.getString("topic"),
        client.getDuration("request-timeout"), store.getInt("max-in-flight"), ConsumerSettings.create(config));
  }

  public EventStoreSettings withBootstrap(String bootstrap) {
    return new EventStoreSettings(bootstrap, topic, requestTimeout, maxInFlight, consumer.withBootstrap(bootstrap));
  }

  public EventStoreSettings withTopic(String topic) {
    return new EventStoreSettings(bootstrap, topic, requestTimeout, maxInFlight, consumer);
  }
}
